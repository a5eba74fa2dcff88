"""The admin shows organisations and people but changes nothing: every change goes through the
services, which check identifiers, keep the search text and write the audit log."""

import pytest

from minga.accounts.middleware import SESSION_KEY
from minga.accounts.services import user_create
from minga.actors.models import Membership, Organization, Person
from minga.actors.tests.conftest import NOW, Sample
from minga.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client):
    user = user_create(
        actor="test",
        username="adela",
        password="una-clave-larga-2026",
        now=NOW,
        is_staff=True,
        is_superuser=True,
    )
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True  # both factors passed
    session.save()
    return user


def test_an_organization_is_shown_in_the_admin_without_a_save_button(
    client, administrator, sample: Sample
):
    response = client.get(f"/admin/actors/organization/{sample.coop.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Cooperativa de Caficultores de Intag" in html
    assert 'name="_save"' not in html


def test_an_organization_cannot_be_changed_in_the_admin(client, administrator, sample: Sample):
    events = AuditEvent.objects.count()

    response = client.post(
        f"/admin/actors/organization/{sample.coop.pk}/change/",
        {"name": "Otro nombre", "classification": "cooperative", "area": sample.coop.area_id},
    )

    assert response.status_code == 403
    sample.coop.refresh_from_db()
    assert sample.coop.name == "Cooperativa de Caficultores de Intag"
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "url",
    [
        "/admin/actors/organization/add/",
        "/admin/actors/person/add/",
        "/admin/actors/post/add/",
        "/admin/actors/membership/add/",
    ],
)
def test_nothing_can_be_added_in_the_admin(client, administrator, sample: Sample, url):
    counts = (Organization.objects.count(), Person.objects.count(), Membership.objects.count())

    response = client.post(url, {"name": "Nueva", "label": "Nuevo"})

    assert response.status_code == 403
    assert (
        Organization.objects.count(),
        Person.objects.count(),
        Membership.objects.count(),
    ) == counts


def test_a_person_cannot_be_deleted_in_the_admin(client, administrator, sample: Sample):
    response = client.post(f"/admin/actors/person/{sample.person.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Person.objects.filter(pk=sample.person.pk).exists()
