"""`minga demo` loads every app's demo data, and a second run duplicates nothing."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from minga.budgeting.models import Project
from minga.budgeting.selectors import process_by_slug, process_phase
from minga.councils.models import Decision


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label not in {"sessions", "admin", "contenttypes", "auth"}
        and model._meta.label != "core.AuditEvent"
        and model._meta.label != "core.AuditChainHead"
    }


@pytest.mark.django_db
def test_the_demo_loads_and_a_second_run_duplicates_nothing():
    first_output = io.StringIO()

    call_command("demo", stdout=first_output)
    after_first = row_counts()
    call_command("demo", stdout=io.StringIO())
    after_second = row_counts()

    assert after_first == after_second
    assert after_first["territories.Territory"] >= 13  # Imbabura, Cotacachi and its 11 parishes
    assert after_first["actors.Organization"] >= 10
    assert after_first["accounts.User"] >= 6


@pytest.mark.django_db
def test_the_demo_prints_an_account_for_every_role():
    output = io.StringIO()

    call_command("demo", stdout=output)

    printed = output.getvalue()
    for role in ["resident", "delegate", "official", "council_member", "auditor", "administrator"]:
        assert f" {role}" in printed, f"no demo account with role {role} in:\n{printed}"


@pytest.mark.django_db
def test_the_demo_joins_the_councils_priority_need_to_the_next_budget_cycle(client):
    call_command("demo", stdout=io.StringIO())

    process = process_by_slug(slug="pp-cotacachi-2027")
    [need] = Decision.objects.filter(is_priority_need=True)
    [project] = Project.objects.filter(process=process)
    page = client.get(f"/budgeting/projects/{project.pk}/")

    assert process is not None
    assert process_phase(process, at=timezone.now()) == "proposals"
    assert project.category.source_decision == need
    assert project.budget.territory == need.territory
    assert "Responde a una necesidad prioritaria del consejo paritario:" in page.text
    assert need.get_absolute_url() in page.text
