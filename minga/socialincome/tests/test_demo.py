from importlib import import_module

import pytest

from minga.socialincome import models, selectors

from .conftest import NOW

pytestmark = pytest.mark.django_db

APPS = ("territories", "actors", "accounts", "councils", "socialincome")


def load_all() -> None:
    for app in APPS:
        import_module(f"minga.{app}.demo").load(now=NOW)


def test_the_demo_runs_a_programme_with_history_and_loads_once():
    load_all()
    counts = {
        m.__name__: m.objects.count()
        for m in (models.Household, models.Issuance, models.Service, models.Expiry)
    }

    load_all()

    programme = selectors.programme_by_slug(slug="cotacachi-cuidados")
    assert models.Household.objects.count() == 200
    assert models.Accreditation.objects.values("organization").distinct().count() == 6
    assert [p.isoformat() for p in selectors.issued_periods(programme=programme)] == [
        "2025-12-01",
        "2026-01-01",
        "2026-02-01",
    ]
    assert models.Service.objects.filter(rating__isnull=False).exists()
    assert models.Service.objects.filter(status="disputed").exists()
    assert models.Expiry.objects.filter(amount__gt=0).exists()
    for category in selectors.categories_of(programme=programme):
        assert selectors.identity(category=category).holds
    assert {
        m.__name__: m.objects.count()
        for m in (models.Household, models.Issuance, models.Service, models.Expiry)
    } == counts
    assert programme.board is not None
    assert set(models.Settlement.objects.values_list("status", flat=True)) == {"paid"}
