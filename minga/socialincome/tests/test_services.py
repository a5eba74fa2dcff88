import hashlib
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from minga.core.models import AuditEvent
from minga.ledger import selectors as ledger
from minga.socialincome import models, selectors, services
from minga.socialincome.domain import sequential_id, sequential_prefix

from .board import board_vote, make_board
from .conftest import (
    ALLOTMENTS,
    BANDS,
    CATEGORIES,
    NOW,
    REGISTRY,
    START,
    World,
    categories,
    cedula,
    identities_hold,
    record,
    registry_csv,
)

pytestmark = pytest.mark.django_db

JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)
ISSUANCE_COLUMNS = (
    "id",
    "wallet_id",
    "category_id",
    "period_date",
    "amount",
    "transfer_id",
    "issued_at",
)

MODELS = (
    models.Programme,
    models.Category,
    models.Band,
    models.ParameterChange,
    models.ParameterValue,
    models.Household,
    models.Member,
    models.ImportRun,
    models.Wallet,
    models.Accreditation,
    models.Issuance,
    models.Expiry,
    models.MonthTotal,
    models.Service,
    models.RecordView,
)


def snapshot() -> dict[str, Any]:
    """Every row of every table of the app, the ledger's journal length and the audit log's."""
    state: dict[str, Any] = {m.__name__: sorted(map(repr, m.objects.values())) for m in MODELS}
    head = ledger.ledger_head()
    state["journal"] = head.transfers_count if head else 0
    state["audit"] = AuditEvent.objects.count()
    return state


def refused(
    error: type[services.SocialIncomeError], message: str, call: Any, field: str | None = None
) -> Any:
    before = snapshot()
    with pytest.raises(error) as info:
        call()
    assert info.value.message == message
    if field is not None:
        assert info.value.field == field
    assert snapshot() == before
    return info.value


def balances(world: World) -> dict[tuple[str, str], int]:
    """(household registry id, category code) -> available balance, from the ledger."""
    out = {}
    for household in selectors.households_of(programme=world.programme):
        for line in selectors.wallet_lines(household=household, on=NOW.date()):
            out[(household.registry_id, line.wallet.category.code)] = line.available
    return out


# --- issuance ------------------------------------------------------------------------------


def test_a_month_is_issued_by_band_and_eligibility(world):
    report = services.month_issue(
        actor=world.official, programme=world.programme, period=JAN, now=NOW
    )

    assert (report.due, report.written, report.amount) == (6, 6, 10000)
    assert balances(world) == {
        ("H1", "eldercare"): 3000,  # 65+, band 1
        ("H1", "homecare"): 2000,
        ("H2", "childcare"): 2000,  # a child under 6, band 2
        ("H2", "homecare"): 1500,
        ("H3", "disability"): 1000,  # band 4 gets less, but not nothing
        ("H3", "homecare"): 500,
    }
    identities_hold(world)


def test_each_issuance_is_the_ledger_transfer_with_the_documented_derived_id(world):
    services.month_issue(actor=world.official, programme=world.programme, period=JAN, now=NOW)

    issuances = list(models.Issuance.objects.select_related("wallet"))
    assert len(issuances) == 6
    for issuance in issuances:
        expected = services.issue_transfer_id(
            world.programme, JAN, issuance.wallet.household_id, issuance.category_id
        )
        assert int(issuance.transfer_id) == expected
        transfer = ledger.transfer_get(transfer_id=expected)
        assert transfer.amount == issuance.amount
        assert transfer.credit_account_id == int(issuance.wallet.account_id)


def test_rows_already_written_are_skipped_and_the_missing_ones_written(world):
    # What a second run of the same command meets: some of its rows are there already.
    services.month_issue(actor=world.official, programme=world.programme, period=JAN, now=NOW)
    kept = list(models.Issuance.objects.order_by("id").values_list(*ISSUANCE_COLUMNS))
    models.Issuance.objects.filter(id__in=[kept[1][0], kept[4][0]]).delete()

    services._insert_ignoring_existing(models.Issuance._meta.db_table, ISSUANCE_COLUMNS, kept)

    assert list(models.Issuance.objects.order_by("id").values_list(*ISSUANCE_COLUMNS)) == kept


def test_a_bad_row_among_those_written_in_bulk_is_refused_not_skipped(world):
    services.month_issue(actor=world.official, programme=world.programme, period=JAN, now=NOW)
    kept = list(models.Issuance.objects.order_by("id").values_list(*ISSUANCE_COLUMNS))
    models.Issuance.objects.filter(id=kept[0][0]).delete()
    bad = (kept[0][0], *kept[0][1:4], 0, *kept[0][5:])  # amount 0: the table's check refuses it

    with pytest.raises(IntegrityError), transaction.atomic():
        services._insert_ignoring_existing(
            models.Issuance._meta.db_table, ISSUANCE_COLUMNS, [bad, *kept[1:]]
        )

    assert not models.Issuance.objects.filter(id=kept[0][0]).exists()


def test_issuing_a_month_twice_issues_nothing_more(world):
    services.month_issue(actor=world.official, programme=world.programme, period=JAN, now=NOW)
    before = snapshot()

    again = services.month_issue(
        actor=world.official, programme=world.programme, period=JAN, now=NOW
    )

    assert (again.done_before, again.written) == (6, 0)
    assert snapshot() == before


def test_an_issuance_interrupted_by_a_crash_completes_on_the_next_run(world, monkeypatch):
    real = services._issuance_record
    calls = {"n": 0}

    def crash_on_second_batch(**kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("power cut")
        real(**kwargs)

    monkeypatch.setattr(services, "_issuance_record", crash_on_second_batch)
    with pytest.raises(SystemExit):
        services.month_issue(
            actor=world.official, programme=world.programme, period=JAN, now=NOW, chunk_size=2
        )
    # The second batch reached the ledger but its record did not.
    assert models.Issuance.objects.count() == 2
    assert ledger.ledger_head().transfers_count == 4
    monkeypatch.setattr(services, "_issuance_record", real)

    report = services.month_issue(
        actor=world.official, programme=world.programme, period=JAN, now=NOW, chunk_size=2
    )

    assert (report.done_before, report.written) == (2, 4)
    assert ledger.ledger_head().transfers_count == 6
    assert models.Issuance.objects.count() == 6
    identities_hold(world)


def test_a_month_before_the_programme_started_is_refused(world):
    refused(
        services.InvalidInput,
        "El programa aún no había empezado en ese mes.",
        lambda: services.month_issue(
            actor=world.official, programme=world.programme, period=date(2025, 12, 1), now=NOW
        ),
        field="period",
    )


# --- registry --------------------------------------------------------------------------------


def test_a_registry_with_bad_rows_is_refused_whole_with_line_numbers(world):
    data = (
        "cedula,household_id,birth_date,income,disability\n"
        f"{cedula(9)},H9,1970-01-01,100.00,no\n"
        "1000000001,H9,1970-01-01,100.00,no\n"
        f"{cedula(10)},H9,1970-13-01,diez,quizá\n"
    ).encode()

    error = refused(
        services.RegistryRefused,
        "línea 3, cedula: el dígito verificador es 1, pero debería ser 8.; "
        "línea 4, birth_date: no es una fecha AAAA-MM-DD; "
        "línea 4, income: no es un importe (ej. 350.00); línea 4, disability: escriba sí o no",
        lambda: services.registry_import(
            actor=world.official, programme=world.programme, data=data, now=NOW
        ),
    )

    assert [(e.line, e.field) for e in error.errors] == [
        (3, "cedula"),
        (4, "birth_date"),
        (4, "income"),
        (4, "disability"),
    ]


def test_a_registry_without_a_column_is_refused(world):
    refused(
        services.RegistryRefused,
        "línea 1, disability: falta la columna en la cabecera",
        lambda: services.registry_import(
            actor=world.official,
            programme=world.programme,
            data=b"cedula,household_id,birth_date,income\n",
            now=NOW,
        ),
        field="disability",
    )


def test_a_reimport_updates_in_place_and_records_what_changed(world):
    rows = [
        (1, "H1", "1950-05-01", "50.00", "no"),  # income changed
        (2, "H2", "1990-01-01", "300.00", "no"),
        (3, "H2", "2024-06-01", "0", "no"),
        (4, "H3", "1980-01-01", "1200.00", "sí"),
        (5, "H4", "2000-02-02", "80.00", "no"),  # new
    ]

    run = services.registry_import(
        actor=world.official, programme=world.programme, data=registry_csv(rows), now=NOW
    )

    assert models.Member.objects.count() == 5
    assert models.Household.objects.count() == 4
    assert run.changes == [
        {"cedula": cedula(1), "what": "updated", "line": 2, "fields": {"income_cents": [0, 5000]}},
        {"household": "H4", "what": "household_added"},
        {"cedula": cedula(5), "what": "added", "line": 6},
    ]


def ledger_accounts() -> int:
    wallets = models.Wallet.objects.values_list("account_id", flat=True)
    return len(ledger.accounts_get(account_ids=[int(a) for a in wallets]))


def test_enrolment_opens_the_wallets_of_the_eligible_categories_empty(world):
    assert balances(world) == {
        ("H1", "eldercare"): 0,
        ("H1", "homecare"): 0,
        ("H2", "childcare"): 0,
        ("H2", "homecare"): 0,
        ("H3", "disability"): 0,
        ("H3", "homecare"): 0,
    }
    for wallet in models.Wallet.objects.all():
        account = ledger.account_get(account_id=int(wallet.account_id))
        assert account is not None
        assert account.ledger == wallet.category.ledger
        assert int(wallet.account_id) == services.wallet_account_id(
            wallet.household_id, wallet.category_id
        )
    before = models.Wallet.objects.count(), ledger_accounts()

    report = services.month_issue(
        actor=world.official, programme=world.programme, period=JAN, now=NOW
    )

    # The issuance only credits the wallets enrolment opened.
    assert report.written == 6
    assert (models.Wallet.objects.count(), ledger_accounts()) == before == (6, 6)
    identities_hold(world)


def test_opening_wallets_again_opens_nothing(world):
    events = AuditEvent.objects.count()

    assert services.wallets_open(programme=world.programme, now=NOW) == 0
    assert models.Wallet.objects.count() == 6
    assert AuditEvent.objects.count() == events


def test_a_reimport_opens_the_wallets_of_new_households_only(world):
    rows = [*REGISTRY, (5, "H4", "2000-02-02", "80.00", "no")]

    services.registry_import(
        actor=world.official, programme=world.programme, data=registry_csv(rows), now=NOW
    )

    assert balances(world)[("H4", "homecare")] == 0
    assert models.Wallet.objects.count() == 7


def test_a_wallet_a_household_becomes_eligible_for_later_is_opened_by_that_months_issuance(world):
    # Turns 65 on 15 May 2026: not eligible for elder care when enrolled in March.
    rows = [*REGISTRY, (5, "H4", "1961-05-15", "0", "no")]
    services.registry_import(
        actor=world.official, programme=world.programme, data=registry_csv(rows), now=NOW
    )
    assert ("H4", "eldercare") not in balances(world)

    services.month_issue(
        actor=world.official, programme=world.programme, period=date(2026, 6, 1), now=NOW
    )

    assert balances(world)[("H4", "eldercare")] == 3000
    identities_hold(world)


def test_enrolment_before_the_programme_starts_opens_the_wallets_of_its_first_month(world):
    programme = services.programme_create(
        actor=world.official,
        slug="cuidados-2027",
        name="Cuidados 2027",
        territory=world.canton,
        unit="hours",
        start_date=date(2027, 1, 1),
        categories=CATEGORIES,
        bands=BANDS,
        allotments=ALLOTMENTS,
        now=NOW,
    )

    services.registry_import(
        actor=world.official,
        programme=programme,
        data=registry_csv([(9, "K1", "1950-05-01", "0.00", "no")]),
        now=NOW,
    )

    opened = models.Wallet.objects.filter(household__programme=programme)
    assert sorted(w.category.code for w in opened) == ["eldercare", "homecare"]


# --- accreditation ---------------------------------------------------------------------------


def test_only_solidarity_economy_organisations_are_accredited(world):
    refused(
        services.NotSolidarityEconomy,
        "Solo se acreditan organizaciones de la economía popular y solidaria "
        "(cooperativas, asociaciones, organizaciones comunitarias, empresas sociales).",
        lambda: services.accreditation_create(
            actor=world.official,
            programme=world.programme,
            organization=world.firm,
            category=categories(world.programme)["homecare"],
            hourly_rate=100,
            valid_from=START,
            now=NOW,
        ),
        field="organization",
    )


# --- services --------------------------------------------------------------------------------


@pytest.fixture
def issued(world: World) -> World:
    services.month_issue(actor=world.official, programme=world.programme, period=JAN, now=NOW)
    return world


def test_a_recorded_service_reserves_hours_times_rate_until_confirmed(issued):
    recorded = record(issued, hours="1.5")

    assert recorded.service.amount == 150
    assert recorded.service.status == "pending"
    assert len(recorded.code) == 8
    assert balances(issued)[("H1", "eldercare")] == 2850
    confirmed = services.service_confirm(actor=issued.resident, service=recorded.service, now=NOW)
    assert confirmed.status == "confirmed"
    assert balances(issued)[("H1", "eldercare")] == 2850
    identities_hold(issued)


def test_a_disputed_service_gives_the_credits_back(issued):
    recorded = record(issued)

    services.service_dispute(actor=issued.resident, service=recorded.service, now=NOW)

    assert balances(issued)[("H1", "eldercare")] == 3000
    assert models.Service.objects.get().status == "disputed"
    identities_hold(issued)


def test_a_service_is_confirmed_with_the_code_given_at_the_door(issued):
    recorded = record(issued)

    service = services.service_resolve_by_code(code=recorded.code, confirm=True, now=NOW)

    assert service.status == "confirmed"
    refused(
        services.CodeInvalid,
        "El código no corresponde a ningún servicio por confirmar.",
        lambda: services.service_resolve_by_code(code=recorded.code, confirm=False, now=NOW),
        field="code",
    )


def test_the_same_service_recorded_twice_is_refused(issued):
    record(issued)

    refused(
        services.DuplicateService,
        "Este servicio ya está registrado (misma persona, fecha y horas).",
        lambda: record(issued),
        field="service_date",
    )


def test_an_overdraft_is_refused(issued):
    record(issued, hours="24", day=date(2026, 2, 1))  # 2400 of 3000

    refused(
        services.Overdraft,
        "Saldo insuficiente: disponible 600, requerido 700.",
        lambda: record(issued, hours="7", day=date(2026, 2, 2)),
        field="hours",
    )


def test_a_service_outside_the_accredited_categories_is_refused(issued):
    refused(
        services.NotAccredited,
        "La organización no está acreditada para esta categoría de servicio.",
        lambda: record(issued, cedula_serial=4, code="disability"),
        field="category",
    )


def test_a_suspended_provider_cannot_record_services(issued):
    accreditation = models.Accreditation.objects.get(category__code="eldercare")
    services.accreditation_status_set(
        actor=issued.official, accreditation=accreditation, status="suspended", now=NOW
    )

    refused(
        services.ProviderInactive,
        "La acreditación de la organización no está activa: no puede registrar servicios.",
        lambda: record(issued),
        field="organization",
    )


def test_bad_hours_are_refused_naming_the_field(issued):
    refused(
        services.InvalidInput,
        "admite como mucho dos decimales",
        lambda: record(issued, hours="1.255"),
        field="hours",
    )
    refused(
        services.InvalidInput,
        "no es un número de horas",
        lambda: record(issued, hours="dos"),
        field="hours",
    )


def test_unconfirmed_services_are_posted_after_the_window(issued):
    recorded = record(issued)
    early = services.services_autoconfirm(programme=issued.programme, now=NOW + timedelta(days=6))

    later = services.services_autoconfirm(programme=issued.programme, now=NOW + timedelta(days=7))

    assert (early, later) == (0, 1)
    service = models.Service.objects.get(pk=recorded.service.pk)
    assert service.status == "auto_confirmed"
    identities_hold(issued)


def test_a_confirmed_service_is_rated_once_from_1_to_5(issued):
    recorded = record(issued)
    refused(
        services.RatingRefused,
        "Solo se valora un servicio confirmado.",
        lambda: services.service_rate(
            actor=issued.resident, service=recorded.service, rating=5, now=NOW
        ),
        field="rating",
    )
    services.service_confirm(actor=issued.resident, service=recorded.service, now=NOW)

    rated = services.service_rate(
        actor=issued.resident, service=recorded.service, rating=4, now=NOW
    )

    assert rated.rating == 4
    refused(
        services.RatingRefused,
        "Este servicio ya fue valorado.",
        lambda: services.service_rate(actor=issued.resident, service=rated, rating=5, now=NOW),
        field="rating",
    )
    refused(
        services.RatingRefused,
        "La valoración va de 1 a 5.",
        lambda: services.service_rate(actor=issued.resident, service=rated, rating=6, now=NOW),
        field="rating",
    )


# --- expiry ----------------------------------------------------------------------------------


def test_unspent_credits_expire_back_to_the_programme_oldest_first(issued):
    services.month_issue(actor=issued.official, programme=issued.programme, period=FEB, now=NOW)
    services.service_confirm(
        actor=issued.resident, service=record(issued, hours="10").service, now=NOW
    )
    # Eldercare of H1: 3000 (Jan) + 3000 (Feb), 1000 spent from January's.

    report = services.credits_expire(
        actor=issued.official, programme=issued.programme, as_of=date(2026, 4, 1), now=NOW
    )

    assert report.period == "2026-01"
    assert report.per_category["eldercare"] == 2000
    assert balances(issued)[("H1", "eldercare")] == 3000
    identities_hold(issued)
    again = services.credits_expire(
        actor=issued.official, programme=issued.programme, as_of=date(2026, 4, 1), now=NOW
    )
    assert again.written == 0


def test_nothing_expires_before_its_validity_ends(issued):
    report = services.credits_expire(
        actor=issued.official, programme=issued.programme, as_of=date(2026, 3, 31), now=NOW
    )

    assert (report.period, report.written) == ("", 0)


def test_an_expiry_interrupted_by_a_crash_records_what_the_ledger_holds(issued, monkeypatch):
    real = services._expiry_record
    monkeypatch.setattr(
        services, "_expiry_record", lambda **kw: (_ for _ in ()).throw(SystemExit("crash"))
    )
    with pytest.raises(SystemExit):
        services.credits_expire(
            actor=issued.official, programme=issued.programme, as_of=date(2026, 4, 1), now=NOW
        )
    monkeypatch.setattr(services, "_expiry_record", real)
    journal = ledger.ledger_head().transfers_count

    report = services.credits_expire(
        actor=issued.official, programme=issued.programme, as_of=date(2026, 4, 1), now=NOW
    )

    assert ledger.ledger_head().transfers_count == journal
    assert report.amount == 10000
    identities_hold(issued)


# --- the board -------------------------------------------------------------------------------


def test_an_allotment_change_applies_only_after_the_board_approves_it(world):
    board = make_board(world)
    world.programme.board = board
    world.programme.save(update_fields=["board"])
    change = services.parameter_change_propose(
        actor=world.official,
        programme=world.programme,
        summary="Más horas de cuidado",
        values={"allotment:1:homecare": 2500},
        effective_date=date(2026, 4, 1),
        now=NOW,
    )
    assert (
        selectors.parameters_at(programme=world.programme, on=date(2026, 4, 1))[
            "allotment:1:homecare"
        ]
        == 2000
    )
    motion = board_vote(world, board, title="Aprobar más horas", yes=True)

    services.parameter_change_decide(actor=world.official, change=change, motion=motion, now=NOW)

    values = selectors.parameters_at(programme=world.programme, on=date(2026, 4, 1))
    assert values["allotment:1:homecare"] == 2500
    assert (
        selectors.parameters_at(programme=world.programme, on=date(2026, 3, 31))[
            "allotment:1:homecare"
        ]
        == 2000
    )


def test_a_rejected_change_changes_no_parameter(world):
    board = make_board(world)
    world.programme.board = board
    world.programme.save(update_fields=["board"])
    change = services.parameter_change_propose(
        actor=world.official,
        programme=world.programme,
        summary="Menos horas",
        values={"allotment:1:homecare": 1800},
        effective_date=date(2026, 4, 1),
        now=NOW,
    )
    motion = board_vote(world, board, title="Reducir horas", yes=False)

    decided = services.parameter_change_decide(
        actor=world.official, change=change, motion=motion, now=NOW
    )

    assert decided.status == "rejected"
    assert (
        selectors.parameters_at(programme=world.programme, on=date(2026, 4, 1))[
            "allotment:1:homecare"
        ]
        == 2000
    )


def test_a_higher_band_cannot_receive_more_than_a_lower_one(world):
    refused(
        services.ParameterInvalid,
        "una banda más alta no recibe más que la anterior",
        lambda: services.parameter_change_propose(
            actor=world.official,
            programme=world.programme,
            summary="Error",
            values={"allotment:4:homecare": 9000},
            effective_date=date(2026, 4, 1),
            now=NOW,
        ),
        field="allotment:4:homecare",
    )


def test_transfer_ids_are_derived_from_what_they_are_for(world):
    first = services.issue_transfer_id(world.programme, JAN, 1, 2)

    # The documented formula, computed here on its own: the run's 64-bit hash, then household
    # id x 2^20 + category id.
    text = f"minga.socialincome|issue|{world.programme.pk}|2026-01"
    high = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    assert first == high << 64 | 1 << 20 | 2
    assert first != services.issue_transfer_id(world.programme, FEB, 1, 2)
    # Within a run, ids keep the order of (household, category).
    assert first < services.issue_transfer_id(world.programme, JAN, 1, 3)
    assert services.issue_transfer_id(world.programme, JAN, 1, 2**20 - 1) < (
        services.issue_transfer_id(world.programme, JAN, 2, 1)
    )
    assert services.wallet_account_id(7, 3) == (
        int.from_bytes(hashlib.sha256(b"minga.socialincome|wallet").digest()[:8], "big") << 64
        | 7 << 20
        | 3
    )


@pytest.mark.parametrize(("household", "category"), [(0, 1), (2**44, 1), (1, 0), (1, 2**20)])
def test_a_sequential_id_out_of_its_range_is_refused(household, category):
    with pytest.raises(ValueError, match="sequential id"):
        sequential_id(sequential_prefix("issue", 1, "2026-01"), household, category)


def test_wallets_and_issuances_follow_household_order_in_the_ledger(world):
    services.month_issue(actor=world.official, programme=world.programme, period=JAN, now=NOW)

    wallets = list(models.Wallet.objects.order_by("household_id", "category_id"))
    assert [int(w.account_id) for w in wallets] == sorted(int(w.account_id) for w in wallets)
    assert [w.pk for w in wallets] == sorted(w.pk for w in wallets)
    issued = list(models.Issuance.objects.order_by("pk"))
    assert [int(i.transfer_id) for i in issued] == sorted(int(i.transfer_id) for i in issued)
    for w in wallets:
        assert int(w.account_id) == services.wallet_account_id(w.household_id, w.category_id)
