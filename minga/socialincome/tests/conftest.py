"""Fixtures of the social income tests, made with the real services of every app (territories,
actors, accounts, councils, socialincome), as CONVENTIONS.md asks."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from minga.accounts import services as accounts
from minga.actors import services as actors
from minga.core.identifiers import ec_cedula_check_digit
from minga.core.roles import Role
from minga.socialincome import models, selectors, services
from minga.territories import services as territories
from minga.territories.selectors import territory_by_code

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
START = date(2026, 1, 1)
PASSWORD = "a-long-test-password-42"


def cedula(serial: int) -> str:
    body = f"100{serial:06d}"
    return body + str(ec_cedula_check_digit(body))


def make_user(username: str, role: str | None = None, **scope: Any) -> Any:
    user = accounts.user_create(actor=None, username=username, password=PASSWORD, now=NOW)
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


def make_organization(name: str, area: Any, classification: str = "cooperative") -> Any:
    return actors.organization_create(
        actor=None,
        now=NOW,
        name=name,
        classification=classification,
        area_id=area.pk,
        size="micro" if classification == "private_firm" else "",
    )


CATEGORIES = [
    services.CategorySpec("childcare", "Cuidado infantil", "child_under_6"),
    services.CategorySpec("eldercare", "Cuidado de personas mayores", "member_65_plus"),
    services.CategorySpec("disability", "Apoyo a la discapacidad", "disability"),
    services.CategorySpec("homecare", "Cuidado en el hogar", "any_household"),
]
BANDS = [
    services.BandSpec("Banda 1", 0),
    services.BandSpec("Banda 2", 10_000),
    services.BandSpec("Banda 3", 25_000),
    services.BandSpec("Banda 4", 50_000),
]
# Hundredths of an hour per month: band 1 gets 20 h of home care, band 4 still 5 h.
ALLOTMENTS = {
    (band, code): amount
    for code, amounts in {
        "childcare": (3000, 2000, 1000, 500),
        "eldercare": (3000, 2000, 1000, 500),
        "disability": (4000, 3000, 2000, 1000),
        "homecare": (2000, 1500, 1000, 500),
    }.items()
    for band, amount in enumerate(amounts, start=1)
}

# One row per person: cédula serial, household, birth date, income, disability.
REGISTRY = [
    (1, "H1", "1950-05-01", "0.00", "no"),  # H1: an elder living alone, band 1
    (2, "H2", "1990-01-01", "300.00", "no"),  # H2: a parent and a toddler, band 2 (150/person)
    (3, "H2", "2024-06-01", "0", "no"),
    (4, "H3", "1980-01-01", "1200.00", "sí"),  # H3: a person with a disability, band 4
]


def registry_csv(rows: list[tuple[int, str, str, str, str]] = REGISTRY) -> bytes:
    lines = ["cedula,household_id,birth_date,income,disability"]
    lines += [f"{cedula(s)},{h},{b},{i},{d}" for s, h, b, i, d in rows]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class World:
    canton: Any
    other_canton: Any
    official: Any
    other_official: Any
    cooperative: Any
    firm: Any
    delegate: Any
    resident: Any
    programme: Any


def categories(programme: Any) -> dict[str, Any]:
    return {c.code: c for c in programme.categories.all()}


def identities_hold(world: World) -> None:
    """Per category, the ledger's identity holds and this app's records give the same totals;
    the month totals are the sums of the rows they stand for."""
    for category in categories(world.programme).values():
        from_ledger = selectors.identity(category=category)
        assert from_ledger.holds, from_ledger
        assert selectors.recorded_totals(category=category) == from_ledger
    month_totals_hold(world.programme)


def month_totals_hold(programme: Any) -> None:
    expected: dict[tuple[int, date], list[int]] = {}
    for category, period, amount in models.Issuance.objects.filter(
        category__programme=programme
    ).values_list("category_id", "period_date", "amount"):
        cell = expected.setdefault((category, period), [0, 0, 0])
        cell[0] += amount
        cell[1] += 1
    for category, at, amount in models.Expiry.objects.filter(
        category__programme=programme
    ).values_list("category_id", "expired_at", "amount"):
        month = timezone.localtime(at, timezone.get_default_timezone()).date().replace(day=1)
        expected.setdefault((category, month), [0, 0, 0])[2] += amount
    actual = {
        (t.category_id, t.month): [t.issued, t.beneficiaries, t.expired]
        for t in models.MonthTotal.objects.filter(category__programme=programme)
    }
    nonzero = {k: v for k, v in actual.items() if any(v)}
    assert nonzero == {k: v for k, v in expected.items() if any(v)}


def record(
    world: World,
    *,
    cedula_serial: int = 1,
    code: str = "eldercare",
    hours: str = "2",
    day: date = date(2026, 2, 10),
    organization: Any = None,
    now: datetime = NOW,
) -> services.Recorded:
    """A service recorded by the world's delegate for its co-operative."""
    return services.service_record(
        actor=world.delegate,
        programme=world.programme,
        organization=organization or world.cooperative,
        category_code=code,
        cedula=cedula(cedula_serial),
        service_date=day,
        hours=hours,
        now=now,
    )


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def committed_world(transactional_db: Any) -> World:
    """The same world, committed: for services run outside any transaction."""
    return build_world()


def build_world() -> World:
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
    parish = territory_by_code(country_code="EC", code="100351")
    official = make_user("oficial", Role.OFFICIAL, territory=canton)
    cooperative = make_organization("Cooperativa de Cuidados Sumak Kawsay", parish)
    programme = services.programme_create(
        actor=official,
        slug="cotacachi-cuidados",
        name="Ingreso social para el cuidado de Cotacachi",
        territory=canton,
        unit="hours",
        start_date=START,
        categories=CATEGORIES,
        bands=BANDS,
        allotments=ALLOTMENTS,
        now=NOW,
    )
    services.registry_import(actor=official, programme=programme, data=registry_csv(), now=NOW)
    cats = categories(programme)
    for code in ("eldercare", "childcare", "homecare"):
        services.accreditation_create(
            actor=official,
            programme=programme,
            organization=cooperative,
            category=cats[code],
            hourly_rate=100,
            valid_from=START,
            now=NOW,
        )
    resident = make_user("residente")
    services.member_account_link(
        actor=official, programme=programme, cedula=cedula(1), user=resident, now=NOW
    )
    return World(
        canton=canton,
        other_canton=other,
        official=official,
        other_official=make_user("oficial-ibarra", Role.OFFICIAL, territory=other),
        cooperative=cooperative,
        firm=make_organization("Comercial Andina S.A.", parish, "private_firm"),
        delegate=make_user("delegada", Role.DELEGATE, organization=cooperative),
        resident=resident,
        programme=programme,
    )


@pytest.fixture(autouse=True)
def _release_pending_rows_after_transactional_tests(request: pytest.FixtureRequest) -> Any:
    """The root conftest empties the append-only tables after a transactional test on SQLite,
    but not ledger_pendingtransfer, whose foreign key to ledger_transfer then refuses the
    DELETE. Pending transfers are this app's daily bread (every service), so its rows are
    removed here first (this fixture is torn down before the root one)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "live_server" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    yield
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_pendingtransfer")
