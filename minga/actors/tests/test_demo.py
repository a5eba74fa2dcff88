import pytest

from minga.actors import demo
from minga.actors.models import Classification, Membership, Organization, Person, Post
from minga.core import identifiers
from minga.core.models import AuditEvent
from minga.territories import demo as territories_demo

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_demo_loads_cotacachis_organizations_once_with_valid_rucs() -> None:
    territories_demo.load(now=NOW)

    accounts = demo.load(now=NOW)
    counts = (
        Organization.objects.count(),
        Person.objects.count(),
        Membership.objects.count(),
        Post.objects.count(),
        AuditEvent.objects.count(),
    )
    demo.load(now=NOW)

    assert accounts == []
    assert counts[:4] == (15, 5, 6, 4)
    assert AuditEvent.objects.filter(object_type__startswith="actors.").count() == 15 + 5 + 6 + 4
    assert (
        Organization.objects.count(),
        Person.objects.count(),
        Membership.objects.count(),
        Post.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert set(Organization.objects.values_list("classification", flat=True)) == set(
        Classification.values
    ) - {"council"}
    assert set(Organization.objects.values_list("area__path", flat=True)) <= {
        f"/10/1003/{code}/" for code in ("100301", "100302", *(f"1003{n}" for n in range(50, 59)))
    }
    for org in Organization.objects.prefetch_related("identifiers"):
        [ruc] = org.identifiers.all()
        assert identifiers.validate("EC-RUC", ruc.identifier) == ruc.identifier
    municipality = Organization.objects.get(classification="public_body")
    assert identifiers.ec_ruc_form(municipality.identifiers.get().identifier) == "public"
