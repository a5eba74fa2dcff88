"""Fixtures of the actors tests: a small territory tree imported with the territories app's
own service, and the services' clock."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps

from minga.territories.services import territories_import

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# Imbabura > Cotacachi > two parishes, and Pichincha > Quito, as INEC codes them.
ROWS = [
    ("provincia", "10", "IMBABURA", ""),
    ("canton", "1003", "COTACACHI", "10"),
    ("parroquia", "100350", "COTACACHI", "1003"),
    ("parroquia", "100351", "APUELA", "1003"),
    ("provincia", "17", "PICHINCHA", ""),
    ("canton", "1701", "QUITO", "17"),
]


class Places:
    def __init__(self) -> None:
        territory = apps.get_model("territories", "Territory")
        by_code = {t.code: t for t in territory.objects.filter(country_code="EC")}
        self.imbabura = by_code["10"]
        self.cotacachi = by_code["1003"]
        self.cotacachi_town = by_code["100350"]
        self.apuela = by_code["100351"]
        self.pichincha = by_code["17"]
        self.quito = by_code["1701"]


@pytest.fixture
def places(db: Any) -> Places:
    territories_import(country_code="EC", actor=None, now=NOW, rows=ROWS)
    return Places()


@pytest.fixture
def now() -> datetime:
    return NOW


class Sample:
    """Organisations across the tree: three in Cotacachi (two parishes), one in Quito; a
    person with private data and a membership."""

    def __init__(self, places: Places) -> None:
        from datetime import date

        from minga.actors import services

        def org(name: str, classification: str, area: Any, **kw: Any) -> Any:
            return services.organization_create(
                actor=None,
                now=NOW,
                name=name,
                classification=classification,
                area_id=area.pk,
                **kw,
            )

        self.coop = org(
            "Cooperativa de Caficultores de Intag",
            "cooperative",
            places.apuela,
            summary="Café de altura",
            identifiers=[("EC-RUC", "1792060346001")],
        )
        self.assoc = org(
            "Asociación de Tejedoras Warmikuna",
            "associative",
            places.cotacachi_town,
            other_names=["Warmikuna"],
        )
        self.municipality = org(
            "Municipio de Cotacachi",
            "public_body",
            places.cotacachi_town,
            identifiers=[("EC-RUC", "1760001550001")],
        )
        self.quito_firm = org(
            "Café Quiteño", "private_firm", places.quito, size="small", summary="Tostaduría"
        )
        self.person = services.person_create(
            actor=None,
            now=NOW,
            name="Rosa Quilumbaquín",
            email="rosa@example.org",
            birth_date=date(1975, 8, 9),
            gender="femenino",
            contact_details=[{"type": "phone", "value": "+593 99 123 4567"}],
            summary="Dirigente",
            biography="Tejedora desde niña.",
            area_id=places.cotacachi_town.pk,
            identifiers=[("EC-CEDULA", "1714307103")],
        )
        self.post = services.post_create(
            actor=None, now=NOW, organization=self.assoc, label="Presidencia", role="presidenta"
        )
        self.membership = services.membership_create(
            actor=None,
            now=NOW,
            person=self.person,
            organization=self.assoc,
            post=self.post,
            start_date=date(2023, 3, 1),
        )


@pytest.fixture
def sample(places: Places) -> Sample:
    return Sample(places)


# The person's private data: none of these strings may appear on a public page or export.
PRIVATE_STRINGS = ("rosa@example.org", "1975", "femenino", "99 123 4567", "1714307103")


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # The directory caches rendered results per data version; test databases are rebuilt
    # with the same timestamps, so each test starts with an empty cache.
    from django.core.cache import cache

    from minga.actors import views

    cache.clear()
    views._version_memo = (0.0, "")
