"""Fixtures of the councils tests. Every object is made through the real services of its app
(territories, actors, accounts, councils), as CONVENTIONS.md asks."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from minga.accounts import services as accounts
from minga.actors import services as actors
from minga.core.roles import Role
from minga.councils import services
from minga.councils.models import Side
from minga.territories import services as territories
from minga.territories.selectors import territory_by_code

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TERM_START = date(2026, 1, 1)


@dataclass
class World:
    canton: Any
    parish: Any
    other_canton: Any
    official: Any
    other_official: Any
    persons: list[Any]


def make_user(username: str, role: str | None = None, **scope: Any) -> Any:
    user = accounts.user_create(
        actor=None, username=username, password="a-long-test-password-42", now=NOW
    )
    if role is not None:
        accounts.role_assign(
            actor=None,
            user=user,
            role=role,
            active_from=NOW - timedelta(days=400),
            now=NOW,
            **scope,
        )
    return user


def make_person(name: str) -> Any:
    return actors.person_create(actor=None, now=NOW, name=name)


def make_organization(name: str, area: Any, classification: str = "cooperative") -> Any:
    return actors.organization_create(
        actor=None,
        now=NOW,
        name=name,
        classification=classification,
        area_id=area.pk,
        size="micro" if classification == "private_firm" else "",
    )


def make_delegate(username: str, organization: Any) -> Any:
    return make_user(username, Role.DELEGATE, organization=organization)


@pytest.fixture
def world(db: Any) -> World:
    territories.territories_import(
        country_code="EC",
        actor=None,
        now=NOW,
        rows=[
            ("provincia", "10", "IMBABURA", ""),
            ("canton", "1003", "COTACACHI", "10"),
            ("parroquia", "100351", "APUELA", "1003"),
            ("canton", "1001", "IBARRA", "10"),
        ],
    )
    canton = territory_by_code(country_code="EC", code="1003")
    other = territory_by_code(country_code="EC", code="1001")
    official = make_user("oficial", Role.OFFICIAL, territory=canton)
    other_official = make_user("oficial-ibarra", Role.OFFICIAL, territory=other)
    persons = [make_person(f"Persona {chr(65 + i)}") for i in range(10)]
    return World(
        canton=canton,
        parish=territory_by_code(country_code="EC", code="100351"),
        other_canton=other,
        official=official,
        other_official=other_official,
        persons=persons,
    )


def make_council(world: World, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "actor": world.official,
        "territory": world.canton,
        "name": "Consejo Cantonal de Cotacachi",
        "government_seats": 3,
        "civil_seats": 3,
        "first_chair_side": Side.GOVERNMENT,
        "now": NOW,
    }
    values.update(overrides)
    return services.council_create(**values)


@pytest.fixture
def council(world: World) -> Any:
    return make_council(world)


@pytest.fixture
def term(world: World, council: Any) -> Any:
    return services.term_create(
        actor=world.official, council=council, start_date=TERM_START, now=NOW
    )
