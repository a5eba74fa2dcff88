"""Demo: Cotacachi's running care-credit programme, with about 200 households (registry made up
with a fixed seed), 4 income bands, 4 categories, 6 accredited care providers of the solidarity
economy, and 3 months of history: issued, services confirmed, disputed and rated, and the first
month's unspent credits expired. The demo resident ("residente") is linked to household H001 and
the demo delegate ("delegada") acts for the first care co-operative.

Idempotent: when the programme exists, nothing is added. Everything goes through the services."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from minga.accounts.selectors import role_assignment_overlaps, user_by_username
from minga.accounts.services import role_assign
from minga.actors import selectors as actors_selectors
from minga.actors import services as actors
from minga.actors.demo import demo_ruc
from minga.core.accountlist import DemoAccount
from minga.core.identifiers import ec_cedula_check_digit
from minga.core.roles import Role
from minga.territories.selectors import territory_by_code

from . import selectors, services
from .domain import add_months
from .models import Wallet

SLUG = "cotacachi-cuidados"
ACTOR = "demo"
HOUSEHOLDS = 200
# Only used when the accounts demo has not made the demo delegate.
RECORDER_PASSWORD = "cuidados-demo-2026-registro"  # noqa: S105 - a published demo account
CATEGORIES = [
    services.CategorySpec("cuidado-infantil", "Cuidado infantil", "child_under_6"),
    services.CategorySpec("adultos-mayores", "Cuidado de personas mayores", "member_65_plus"),
    services.CategorySpec("discapacidad", "Apoyo a personas con discapacidad", "disability"),
    services.CategorySpec("hogar", "Cuidado en el hogar", "any_household"),
]
# Income per person and month, in US cents.
BANDS = [
    services.BandSpec("Banda 1 (menos de USD 100)", 0),
    services.BandSpec("Banda 2 (USD 100 a 250)", 10_000),
    services.BandSpec("Banda 3 (USD 250 a 500)", 25_000),
    services.BandSpec("Banda 4 (USD 500 o más)", 50_000),
]
# Hundredths of an hour per month and band: higher bands get less, but not nothing.
ALLOTMENTS = {
    (band, code): amount
    for code, amounts in {
        "cuidado-infantil": (2000, 1500, 1000, 500),
        "adultos-mayores": (2000, 1500, 1000, 500),
        "discapacidad": (3000, 2000, 1500, 1000),
        "hogar": (1000, 800, 500, 200),
    }.items()
    for band, amount in enumerate(amounts, start=1)
}
# name, classification, parish, categories, hourly rate (hundredths of an hour per hour: 100)
PROVIDERS = [
    ("Cooperativa de Cuidados Sumak Kawsay", "cooperative", "100350", ("adultos-mayores", "hogar")),
    ("Asociación de Cuidadoras Warmi Pura", "associative", "100352", ("cuidado-infantil", "hogar")),
    (
        "Centro Comunitario de Desarrollo Infantil Wawakuna",
        "community",
        "100353",
        ("cuidado-infantil",),
    ),
    (
        "Empresa Social Manos que Acompañan",
        "social_enterprise",
        "100350",
        ("discapacidad", "adultos-mayores"),
    ),
    (
        "Cooperativa de Servicios de Cuidado Intag",
        "cooperative",
        "100351",
        ("hogar", "adultos-mayores"),
    ),
    (
        "Asociación de Apoyo a la Discapacidad Kawsay Ñan",
        "associative",
        "100350",
        ("discapacidad",),
    ),
]


def demo_cedula(serial: int) -> str:
    body = f"104{serial:06d}"
    return body + str(ec_cedula_check_digit(body))


def registry_csv(rng: random.Random, today: date) -> bytes:
    lines = ["cedula,household_id,birth_date,income,disability"]
    serial = 0
    for h in range(1, HOUSEHOLDS + 1):
        size = rng.choice((1, 2, 2, 3, 3, 4, 5))
        for m in range(size):
            serial += 1
            if m == 0:
                age = rng.randint(22, 85)
            else:
                age = rng.choice((rng.randint(0, 5), rng.randint(6, 17), rng.randint(18, 90)))
            birth = today - timedelta(days=age * 365 + rng.randint(10, 350))
            income = rng.choice((0, 0, 15_000, 30_000, 46_000, 80_000, 150_000)) if m < 2 else 0
            disability = "sí" if rng.random() < 0.08 else "no"
            lines.append(
                f"{demo_cedula(serial)},H{h:03d},{birth.isoformat()},{income // 100}.00,"
                f"{disability}"
            )
    return ("\n".join(lines) + "\n").encode()


def _provider(name: str, classification: str, parish: str, serial: int, now: datetime) -> Any:
    ruc = demo_ruc("private", 600_000 + serial)
    found = actors_selectors.organization_by_identifier(scheme="EC-RUC", identifier=ruc)
    if found is not None:
        return found
    area = territory_by_code(country_code="EC", code=parish)
    assert area is not None, parish
    return actors.organization_create(
        actor=ACTOR,
        now=now,
        name=name,
        classification=classification,
        area_id=area.pk,
        summary="Servicios de cuidado acreditados en el ingreso social para el cuidado.",
        identifiers=[("EC-RUC", ruc)],
    )


def load(*, now: datetime) -> list[DemoAccount]:
    cotacachi = territory_by_code(country_code="EC", code="1003")
    if cotacachi is None or selectors.programme_by_slug(slug=SLUG) is not None:
        return []
    rng = random.Random(6)  # noqa: S311 - made-up demo data, not security
    this_month = now.date().replace(day=1)
    first = add_months(this_month, -3)
    programme = services.programme_create(
        actor=ACTOR,
        slug=SLUG,
        name="Ingreso social para el cuidado de Cotacachi",
        territory=cotacachi,
        unit="hours",
        start_date=first,
        categories=CATEGORIES,
        bands=BANDS,
        allotments=ALLOTMENTS,
        board=_board(cotacachi),
        # Providers are paid USD 5.00 per hour of service: 5 cents per hundredth of an hour.
        settlement_currency="USD",
        settlement_minor_per_unit=5,
        debtor_name="GAD Municipal de Santa Ana de Cotacachi",
        debtor_account="0012345678",
        now=now,
    )
    services.registry_import(
        actor=ACTOR,
        programme=programme,
        data=registry_csv(rng, now.date()),
        filename="registro-demo.csv",
        now=now,
    )
    categories = {c.code: c for c in selectors.categories_of(programme=programme)}
    providers = []
    for serial, (name, classification, parish, codes) in enumerate(PROVIDERS, start=1):
        org = _provider(name, classification, parish, serial, now)
        providers.append((org, codes))
        for code in codes:
            services.accreditation_create(
                actor=ACTOR,
                programme=programme,
                organization=org,
                category=categories[code],
                hourly_rate=100,
                valid_from=first,
                bank_account=f"22{serial:08d}",
                now=now,
            )
    _link_demo_accounts(programme, providers[0][0], now)
    for months_back in (3, 2, 1):
        period = add_months(this_month, -months_back)
        services.month_issue(actor=ACTOR, programme=programme, period=period, now=now)
        _services_of_month(rng, programme, providers, period, now)
    services.credits_expire(actor=ACTOR, programme=programme, as_of=now.date(), now=now)
    # The services confirmed so far are settled and the bank has paid them (the demo records
    # the whole history at load time, so every confirmation falls on the load's date).
    batch = services.settlement_create(actor=ACTOR, programme=programme, until=now.date(), now=now)
    answer = "id,status\n" + "".join(f"{i.end_to_end_id},ACSC\n" for i in batch.items.all())
    services.settlement_results_import(actor=ACTOR, data=answer.encode(), now=now)
    return []


def _board(cotacachi: Any) -> Any:
    """The canton's joint council (the councils demo) approves the programme's parameters."""
    from minga.councils.selectors import councils_list

    return councils_list().filter(territory=cotacachi).order_by("pk").first()


def _link_demo_accounts(programme: Any, provider: Any, now: datetime) -> None:
    resident = user_by_username(username="residente")
    household = selectors.households_of(programme=programme).first()
    if resident is not None and household is not None:
        member = household.members.order_by("pk").first()
        assert member is not None, "every demo household has members"
        services.member_account_link(
            actor=ACTOR, programme=programme, cedula=member.cedula, user=resident, now=now
        )
    delegate = user_by_username(username="delegada")
    if delegate is not None and not role_assignment_overlaps(
        user=delegate,
        role=Role.DELEGATE,
        territory=None,
        organization=provider,
        active_from=now,
        active_to=None,
    ):
        role_assign(
            actor=ACTOR,
            user=delegate,
            role=Role.DELEGATE,
            organization=provider,
            active_from=now - timedelta(days=120),
            now=now,
        )


def _services_of_month(
    rng: random.Random,
    programme: Any,
    providers: list[tuple[Any, tuple[str, ...]]],
    period: date,
    now: datetime,
) -> None:
    """About 60 services in the month: most confirmed (and many rated), a few disputed, the
    rest left to be confirmed automatically after the window."""
    wallets = list(
        Wallet.objects.filter(category__programme=programme)
        .select_related("household", "category")
        .order_by("pk")
    )
    by_category: dict[str, list[Any]] = {}
    for org, codes in providers:
        for code in codes:
            by_category.setdefault(code, []).append(org)
    demo_delegate = user_by_username(username="delegada")
    recorder = demo_delegate if demo_delegate is not None else _recorder(now)
    for w in rng.sample(wallets, min(60, len(wallets))):
        org = rng.choice(by_category[w.category.code])
        member = w.household.members.order_by("pk").first()
        if member is None:
            continue
        day = period + timedelta(days=rng.randint(0, 27))
        try:
            recorded = services.service_record(
                actor=recorder,
                programme=programme,
                organization=org,
                category_code=w.category.code,
                cedula=member.cedula,
                service_date=day,
                hours=str(rng.choice((1, 2, 2, 3, 4))),
                now=now,
            )
        except (services.Overdraft, services.DuplicateService):
            continue
        fate = rng.random()
        if fate < 0.08:
            services.service_dispute(actor=ACTOR, service=recorded.service, now=now)
        elif fate < 0.9:
            confirmed = services.service_confirm(actor=ACTOR, service=recorded.service, now=now)
            if rng.random() < 0.7:
                services.service_rate(
                    actor=ACTOR, service=confirmed, rating=rng.choice((3, 4, 4, 5, 5)), now=now
                )


def _recorder(now: datetime) -> Any:
    from minga.accounts.services import user_create

    user = user_by_username(username="cuidados-demo")
    if user is None:
        user = user_create(
            actor=ACTOR,
            username="cuidados-demo",
            password=RECORDER_PASSWORD,
            now=now,
        )
    return user
