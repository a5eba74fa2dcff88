import pytest

from minga.core.models import AuditEvent
from minga.territories.demo import ROWS, load
from minga.territories.models import Territory

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_demo_loads_cotacachi_and_its_11_parishes_with_outlines():
    assert load(now=NOW) == []

    cotacachi = Territory.objects.get(country_code="EC", code="1003")
    assert (cotacachi.name, cotacachi.parent.code, cotacachi.level.key) == (
        "COTACACHI",
        "10",
        "canton",
    )
    assert cotacachi.children.count() == 11
    assert cotacachi.geometry["type"] == "Polygon"
    assert Territory.objects.filter(parent=cotacachi, geometry__isnull=False).count() == 11
    assert Territory.objects.get(code="10").geometry is None
    assert len(ROWS) == 13


def test_loading_the_demo_twice_creates_nothing_new():
    load(now=NOW)
    before = list(Territory.objects.values_list("code", "name", "path", "geometry", "updated_at"))
    events = AuditEvent.objects.count()

    load(now=NOW.replace(year=2027))

    after = list(Territory.objects.values_list("code", "name", "path", "geometry", "updated_at"))
    assert after == before
    assert AuditEvent.objects.count() == events == 2
