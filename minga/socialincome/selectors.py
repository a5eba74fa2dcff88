"""Reads of the social income programme: parameters in force, eligibility, wallets and their
balances (from the ledger), what is about to expire, the open books (small cells suppressed) and
the access checks used by the pages and the API."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from django.apps import apps
from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from minga.accounts.selectors import access_organization_as_delegate, access_territory_as_official
from minga.core.opendata import suppress_small
from minga.ledger import selectors as ledger
from minga.ledger.domain import PendingStatus, TransferFlags

from .domain import (
    ACCOUNT_WALLET,
    TRANSFER_SERVICE,
    MemberFacts,
    add_months,
    band_finder,
    band_of,
    eligible,
    income_per_person_cents,
    period_label,
)
from .models import (
    Accreditation,
    AccreditationStatus,
    Band,
    Category,
    Expiry,
    Household,
    ImportRun,
    Issuance,
    Member,
    MonthTotal,
    ParameterChange,
    ParameterValue,
    Programme,
    RecordView,
    Service,
    ServiceStatus,
    Settlement,
    SettlementBatch,
    Wallet,
)
from .payments import Payment, PaymentBatch

POSTED = (ServiceStatus.CONFIRMED, ServiceStatus.AUTO_CONFIRMED)

# --- other apps, through their selectors or the app registry --------------------------------


def solidarity_economy_classifications() -> frozenset[str]:
    """Only the solidarity economy can be accredited (actors.SOLIDARITY_ECONOMY), read through
    the app registry: another app's models module is never imported (import-linter)."""
    models_module = apps.get_app_config("actors").models_module
    assert models_module is not None, "the actors app has models"
    return frozenset(str(c) for c in models_module.SOLIDARITY_ECONOMY)


def organization_by_id(*, organization_id: int) -> Any:
    return apps.get_model("actors", "Organization").objects.filter(pk=organization_id).first()


def person_identifiers(*, person_id: int | None, scheme: str) -> list[str]:
    if person_id is None:
        return []
    return list(
        apps.get_model("actors", "PersonIdentifier")
        .objects.filter(person_id=person_id, scheme=scheme)
        .values_list("identifier", flat=True)
    )


def motion_by_id(*, motion_id: int) -> Any:
    from minga.councils.selectors import motion_by_id as councils_motion

    return councils_motion(motion_id=motion_id)


def board_motions_closed(*, programme: Programme) -> list[Any]:
    """The closed motions (voted, with an outcome) of the programme's board, newest first: the
    only ones a parameter change can be decided by. Read through the app registry, as for
    actors: another app's models module is never imported."""
    if programme.board_id is None:
        return []
    motion_model = apps.get_model("councils", "Motion")
    return list(
        motion_model.objects.filter(meeting__council_id=programme.board_id, closed_at__isnull=False)
        .select_related("meeting")
        .order_by("-closed_at", "-id")[:200]
    )


def board_meetings_upcoming(*, programme: Programme, now: datetime) -> list[Any]:
    """Meetings of the programme's board from today on, soonest first: where a proposal can be
    put to the board as a motion."""
    if programme.board_id is None:
        return []
    from minga.councils.selectors import council_by_id, meetings_of

    council = council_by_id(council_id=programme.board_id)
    if council is None:
        return []
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return list(meetings_of(council=council).filter(starts_at__gte=today).order_by("starts_at"))


def board_meeting_by_id(*, programme: Programme, meeting_id: int) -> Any:
    if programme.board_id is None:
        return None
    from minga.councils.selectors import meeting_by_id

    meeting = meeting_by_id(meeting_id=meeting_id)
    if meeting is None or meeting.council_id != programme.board_id:
        return None
    return meeting


def access_board_as_official(user: Any, programme: Programme) -> bool:
    """Putting a motion on the board's agenda is for the officials who run the board."""
    if programme.board_id is None:
        return False
    from minga.councils.selectors import access_council_as_official, council_by_id

    council = council_by_id(council_id=programme.board_id)
    return council is not None and access_council_as_official(user, council)


# --- programmes and parameters ------------------------------------------------------------


def programmes_list() -> QuerySet[Programme]:
    return Programme.objects.select_related("territory").order_by("slug")


def programme_by_slug(*, slug: str) -> Programme | None:
    return Programme.objects.select_related("territory").filter(slug=slug).first()


def categories_of(*, programme: Programme) -> list[Category]:
    return list(Category.objects.filter(programme=programme).order_by("id"))


def bands_of(*, programme: Programme) -> list[Band]:
    return list(Band.objects.filter(programme=programme).order_by("number"))


def parameters_at(*, programme: Programme, on: date) -> dict[str, Any]:
    """Every parameter's value in force on `on`: the latest active_from on or before it."""
    values: dict[str, Any] = {}
    for key, value in (
        ParameterValue.objects.filter(programme=programme, active_from__lte=on)
        .order_by("key", "active_from")
        .values_list("key", "value")
    ):
        values[key] = value
    return values


def parameter_history(*, programme: Programme) -> QuerySet[ParameterValue]:
    return ParameterValue.objects.filter(programme=programme).select_related("change")


def parameter_changes(*, programme: Programme) -> QuerySet[ParameterChange]:
    return (
        ParameterChange.objects.filter(programme=programme)
        .select_related("motion")
        .order_by("-proposed_at", "-id")
    )


def parameter_change_by_id(*, programme: Programme, change_id: int) -> ParameterChange | None:
    return ParameterChange.objects.filter(programme=programme, pk=change_id).first()


def categories_in_force(*, programme: Programme, on: date) -> list[Category]:
    """The categories whose parameters are in force on `on`: a category added after set-up
    exists from the board's approval, but issues credits only from its effective date."""
    values = parameters_at(programme=programme, on=on)
    return [c for c in categories_of(programme=programme) if f"eligibility:{c.code}" in values]


@dataclass(frozen=True)
class ParameterLine:
    key: str
    label: str
    value: Any


def parameter_lines(*, programme: Programme, on: date) -> list[ParameterLine]:
    """Every parameter in force on `on` with a label a person can read, in a stable order
    (bands, then per category its eligibility and allotments, then provider rates): the
    fields of the proposal form."""
    values = parameters_at(programme=programme, on=on)
    bands = bands_of(programme=programme)
    lines = [
        ParameterLine(k, b.name, values[k])
        for b in bands
        if (k := f"band:{b.number}:min_income") in values
    ]
    for c in categories_of(programme=programme):
        if f"eligibility:{c.code}" not in values:
            continue
        lines.append(
            ParameterLine(f"eligibility:{c.code}", c.name, values[f"eligibility:{c.code}"])
        )
        lines += [
            ParameterLine(k, f"{c.name} · {b.name}", values[k])
            for b in bands
            if (k := f"allotment:{b.number}:{c.code}") in values
        ]
    for a in accreditations_of(programme=programme).order_by("id"):
        if (k := f"rate:{a.pk}") in values:
            lines.append(ParameterLine(k, f"{a.organization.name} · {a.category.name}", values[k]))
    return lines


def accreditation_ids(*, programme: Programme) -> list[int]:
    return list(
        Accreditation.objects.filter(programme=programme)
        .order_by("id")
        .values_list("id", flat=True)
    )


# --- access checks -----------------------------------------------------------------------------


def access_programme_as_official(user: Any, programme: Programme | None) -> bool:
    """Officials of the programme's territory (or above it) and administrators run it."""
    if programme is None:
        return False
    return access_territory_as_official(user, programme.territory)


def access_accreditation_as_delegate(user: Any, accreditation: Accreditation | None) -> bool:
    if accreditation is None:
        return False
    return access_organization_as_delegate(user, accreditation.organization)


def access_organization_as_delegate_of(user: Any, organization: Any) -> bool:
    return access_organization_as_delegate(user, organization)


def household_of_user(*, user: Any, programme: Programme) -> Household | None:
    """The household a signed-in resident belongs to: their person's identifier (the programme's
    scheme, a cédula) matched against the registry."""
    if not getattr(user, "is_authenticated", False):
        return None
    numbers = person_identifiers(
        person_id=getattr(user, "person_id", None), scheme=programme.identifier_scheme
    )
    member = (
        Member.objects.filter(Q(user=user) | Q(cedula__in=numbers), programme=programme)
        .select_related("household__programme")
        .first()
    )
    return member.household if member is not None else None


def households_of_user(*, user: Any) -> list[Household]:
    return [
        h for p in programmes_list() if (h := household_of_user(user=user, programme=p)) is not None
    ]


def access_household_as_member(user: Any, household: Household | None) -> bool:
    if household is None:
        return False
    mine = household_of_user(user=user, programme=household.programme)
    return mine is not None and mine.pk == household.pk


def delegated_accreditations(*, user: Any, programme: Programme) -> list[Accreditation]:
    return [
        a
        for a in Accreditation.objects.filter(programme=programme).select_related(
            "organization", "category"
        )
        if access_organization_as_delegate(user, a.organization)
    ]


# --- households --------------------------------------------------------------------------------


def household_by_id(*, programme: Programme, household_id: int) -> Household | None:
    return Household.objects.filter(programme=programme, pk=household_id).first()


def household_by_cedula(*, programme: Programme, cedula: str) -> Household | None:
    member = Member.objects.filter(programme=programme, cedula=cedula.strip()).first()
    return member.household if member is not None else None


def households_of(*, programme: Programme) -> QuerySet[Household]:
    return Household.objects.filter(programme=programme).order_by("registry_id")


def member_facts(
    *, programme: Programme, household_id: int | None = None
) -> dict[int, list[MemberFacts]]:
    """{household id: its members' facts}, for the whole programme or one household. One plain
    query: a monthly run reads a million members, and the ORM's handling of each row cost more
    than the query (Django's SQLite backend converts date and bool columns by their declared
    types, so the rows hold dates and booleans on both databases)."""
    sql = (
        "SELECT household_id, birth_date, income_cents, disability "  # noqa: S608 - fixed names
        f"FROM {Member._meta.db_table} WHERE programme_id = %s"
    )
    params: list[int] = [programme.pk]
    if household_id is not None:
        sql += " AND household_id = %s"
        params.append(household_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    facts: dict[int, list[MemberFacts]] = defaultdict(list)
    make = MemberFacts._make
    for household, *member in rows:
        facts[household].append(make(member))
    return facts


class Entitlement(NamedTuple):
    household_id: int
    category: Category
    amount: int


def entitlements(*, programme: Programme, period: date) -> list[Entitlement]:
    """What every enrolled household is due for the month starting `period`, by the parameters
    in force on that day."""
    values = parameters_at(programme=programme, on=period)
    bands = bands_of(programme=programme)
    minima = {b.number: int(values[f"band:{b.number}:min_income"]) for b in bands}
    # A category added after set-up issues credits from the first month on or after the date
    # its parameters take effect.
    categories = [
        c for c in categories_of(programme=programme) if f"eligibility:{c.code}" in values
    ]
    rules = [(c, str(values[f"eligibility:{c.code}"])) for c in categories]
    # The allotment of each (band, category), looked up once instead of once per household.
    allotment = {
        (b.number, c.pk): int(values[f"allotment:{b.number}:{c.code}"])
        for b in bands
        for c in categories
        if f"allotment:{b.number}:{c.code}" in values
    }
    out: list[Entitlement] = []
    band_for = band_finder(minima)
    for household_id, members in sorted(member_facts(programme=programme).items()):
        band = band_for(income_per_person_cents(members))
        for c, rule in rules:
            if eligible(rule, members, period):
                out.append(Entitlement(household_id, c, allotment[band, c.pk]))
    return out


def household_band(*, household: Household, on: date) -> int | None:
    members = member_facts(programme=household.programme, household_id=household.pk).get(
        household.pk, []
    )
    if not members:
        return None
    values = parameters_at(programme=household.programme, on=on)
    minima = {
        b.number: int(values[f"band:{b.number}:min_income"])
        for b in bands_of(programme=household.programme)
    }
    return band_of(income_per_person_cents(members), minima)


def imports_of(*, programme: Programme) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(programme=programme)


def record_views_of(*, household: Household) -> QuerySet[RecordView]:
    return RecordView.objects.filter(household=household).select_related("viewer")


# --- accreditations ----------------------------------------------------------------------------


def accreditation_is_active(accreditation: Accreditation, on: date) -> bool:
    """Active: its status says so and `on` falls in [valid_from, valid_to)."""
    if accreditation.status != AccreditationStatus.ACTIVE:
        return False
    if on < accreditation.valid_from:
        return False
    return accreditation.valid_to is None or on < accreditation.valid_to


def accreditation_for(
    *, programme: Programme, organization_id: int, category_code: str
) -> Accreditation | None:
    return (
        Accreditation.objects.select_related("organization", "category", "programme")
        .filter(programme=programme, organization_id=organization_id, category__code=category_code)
        .first()
    )


def accreditation_rate(*, accreditation: Accreditation, on: date) -> int:
    values = parameters_at(programme=accreditation.programme, on=on)
    rate = values.get(f"rate:{accreditation.pk}")
    assert rate is not None, "every accreditation has a rate from its first day"
    return int(rate)


def accreditations_of(*, programme: Programme) -> QuerySet[Accreditation]:
    return Accreditation.objects.filter(programme=programme).select_related(
        "organization", "category"
    )


# --- services ----------------------------------------------------------------------------------


def service_by_id(*, service_id: int) -> Service | None:
    return (
        Service.objects.select_related(
            "wallet__household__programme", "wallet__category", "accreditation__organization"
        )
        .filter(pk=service_id)
        .first()
    )


def code_sha256(code: str) -> str:
    return hashlib.sha256(("socialincome-code|" + code.strip()).encode("utf-8")).hexdigest()


def service_by_code(*, code: str) -> Service | None:
    """The pending service a one-time code confirms (a code opens one pending service only)."""
    matches = list(
        Service.objects.select_related(
            "wallet__household__programme", "wallet__category", "accreditation__organization"
        ).filter(code_sha256=code_sha256(code), status=ServiceStatus.PENDING)[:2]
    )
    return matches[0] if len(matches) == 1 else None


def services_due_for_autoconfirm(*, programme: Programme, now: datetime) -> list[Service]:
    from datetime import timedelta

    cutoff = now - timedelta(days=programme.confirm_window_days)
    return list(
        Service.objects.filter(
            wallet__household__programme=programme,
            status=ServiceStatus.PENDING,
            recorded_at__lte=cutoff,
        ).order_by("id")
    )


def services_recorded_by(*, accreditations: list[Accreditation]) -> QuerySet[Service]:
    return Service.objects.filter(accreditation__in=accreditations).select_related(
        "wallet__household", "wallet__category", "accreditation__organization"
    )


@dataclass(frozen=True)
class OrphanReservation:
    """A pending service transfer in the ledger that no Service row points to: a crash between
    the ledger batch and the record left the household's credits reserved."""

    transfer_id: int
    wallet: Wallet
    provider_account_id: int
    amount: int
    timestamp_ns: int


def orphan_service_reservations(
    *, programme: Programme, before: datetime, progress: Any = None
) -> list[OrphanReservation]:
    """Pending service transfers (code 2) from the programme's wallets to its providers,
    recorded by the ledger before `before`, still pending, and without a Service row. Only the
    wallets whose reserved amount in the ledger differs from the pending services recorded here
    are searched, so a programme without orphans costs one balance read per wallet."""
    wallets = {
        int(w.account_id): w
        for w in Wallet.objects.filter(category__programme=programme).select_related("category")
    }
    recorded = dict(
        Service.objects.filter(wallet__category__programme=programme, status=ServiceStatus.PENDING)
        .values_list("wallet_id")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    providers = {
        int(a)
        for a in Accreditation.objects.filter(programme=programme).values_list(
            "account_id", flat=True
        )
    }
    suspicious: list[Wallet] = []
    ids = sorted(wallets)
    for start in range(0, len(ids), 5000):
        states = ledger.accounts_get(account_ids=ids[start : start + 5000])
        for account_id, state in states.items():
            wallet = wallets[account_id]
            if state.debits_pending != recorded.get(wallet.pk, 0):
                suspicious.append(wallet)
        if progress:
            progress(min(start + 5000, len(ids)), len(ids))
    if progress and not ids:
        progress(0, 0)
    before_ns = ledger.datetime_to_ns(before)
    orphans: list[OrphanReservation] = []
    for wallet in sorted(suspicious, key=lambda w: w.pk):
        account_id = int(wallet.account_id)
        candidates: dict[int, Any] = {}
        after = 0
        while True:
            page = ledger.account_transfers(account_id=account_id, after=after, limit=1000)
            for t in page.transfers:
                if (
                    t.debit_account_id == account_id
                    and t.flags & int(TransferFlags.PENDING)
                    and t.code == TRANSFER_SERVICE
                    and t.credit_account_id in providers
                    and t.timestamp < before_ns
                ):
                    candidates[t.id] = t
            if page.next_after is None:
                break
            after = page.next_after
        known = {
            int(x)
            for x in Service.objects.filter(wallet=wallet).values_list("transfer_id", flat=True)
        }
        for transfer_id, t in sorted(candidates.items(), key=lambda kv: kv[1].timestamp):
            if transfer_id in known:
                continue
            if ledger.pending_status_get(transfer_id=transfer_id) != PendingStatus.PENDING:
                continue
            orphans.append(
                OrphanReservation(transfer_id, wallet, t.credit_account_id, t.amount, t.timestamp)
            )
    return orphans


# --- wallets -----------------------------------------------------------------------------------


def wallets_of(*, household: Household) -> list[Wallet]:
    return list(Wallet.objects.filter(household=household).select_related("category"))


@dataclass
class WalletLine:
    wallet: Wallet
    balance: int  # posted credits minus posted debits
    pending: int  # reserved by services awaiting confirmation
    available: int
    expiring: list[tuple[date, int]] = field(default_factory=list)  # (expires on, amount)


def wallet_lines(*, household: Household, on: date) -> list[WalletLine]:
    """Balances per category and, oldest first, the credits still unspent and when they expire
    (spending uses the oldest credits first)."""
    wallets = wallets_of(household=household)
    states = ledger.accounts_get(account_ids=[int(w.account_id) for w in wallets])
    lines: list[WalletLine] = []
    months = household.programme.validity_months
    for w in wallets:
        state = states.get(int(w.account_id))
        if state is None:
            continue
        balance = state.credits_posted - state.debits_posted
        line = WalletLine(
            wallet=w,
            balance=balance,
            pending=state.debits_pending,
            available=balance - state.debits_pending,
        )
        consumed = state.debits_posted + state.debits_pending
        for period, amount in (
            Issuance.objects.filter(wallet=w)
            .order_by("period_date")
            .values_list("period_date", "amount")
        ):
            used = min(consumed, amount)
            consumed -= used
            left = amount - used
            expires = add_months(period, months)
            if left > 0 and expires > on:
                line.expiring.append((expires, left))
        lines.append(line)
    return lines


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str
    category: str
    amount: int
    detail: str


def wallet_history(*, household: Household) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    for i in Issuance.objects.filter(wallet__household=household).select_related("category"):
        entries.append(
            HistoryEntry(
                i.issued_at, "issue", i.category.name, i.amount, period_label(i.period_date)
            )
        )
    for e in Expiry.objects.filter(wallet__household=household, amount__gt=0).select_related(
        "category"
    ):
        entries.append(
            HistoryEntry(
                e.expired_at,
                "expiry",
                e.category.name,
                e.amount,
                period_label(e.through_period_date),
            )
        )
    for s in Service.objects.filter(wallet__household=household).select_related(
        "wallet__category", "accreditation__organization"
    ):
        entries.append(
            HistoryEntry(
                s.recorded_at,
                "service",
                s.wallet.category.name,
                s.amount,
                s.accreditation.organization.name,
            )
        )
    return sorted(entries, key=lambda e: e.at, reverse=True)


def services_of_household(*, household: Household) -> QuerySet[Service]:
    return Service.objects.filter(wallet__household=household).select_related(
        "wallet__category", "accreditation__organization"
    )


# --- the books: issued = redeemed + expired + outstanding ----------------------------------


@dataclass(frozen=True)
class Identity:
    category: str
    issued: int
    redeemed: int
    expired: int
    outstanding: int

    @property
    def holds(self) -> bool:
        return self.issued == self.redeemed + self.expired + self.outstanding


def identity(*, category: Category) -> Identity:
    """The money identity per category, from the ledger's balances: the fund's posted debits are
    what was issued, its posted credits what expired back; the providers' posted credits were
    redeemed; the wallets' posted balances are outstanding."""
    fund = ledger.account_get(account_id=int(category.fund_account_id))
    issued = fund.debits_posted if fund else 0
    expired = fund.credits_posted if fund else 0
    provider_ids = [
        int(a)
        for a in Accreditation.objects.filter(category=category).values_list(
            "account_id", flat=True
        )
    ]
    providers = ledger.accounts_get(account_ids=provider_ids)
    redeemed = sum(p.credits_posted for p in providers.values())
    # Every wallet of the category is an account of its ledger with the wallet code.
    wallets = ledger.balances_by_code(ledger=category.ledger, code=ACCOUNT_WALLET)
    outstanding = wallets.credits_posted - wallets.debits_posted
    return Identity(category.code, issued, redeemed, expired, outstanding)


def recorded_totals(*, category: Category) -> Identity:
    """The same identity from this app's own records, to be checked against the ledger's."""
    issued = Issuance.objects.filter(category=category).aggregate(s=Sum("amount"))["s"] or 0
    expired = Expiry.objects.filter(category=category).aggregate(s=Sum("amount"))["s"] or 0
    redeemed = (
        Service.objects.filter(wallet__category=category, status__in=POSTED).aggregate(
            s=Sum("amount")
        )["s"]
        or 0
    )
    return Identity(category.code, issued, redeemed, expired, issued - redeemed - expired)


def _cell(value: int | None, persons: int) -> int | None:
    return value if suppress_small(persons) is not None else None


def books_rows(*, programme: Programme | None = None) -> Iterator[dict[str, Any]]:
    """By month and category: credits issued, redeemed and expired, hours, beneficiaries and
    providers. Every figure of a row with 1 to 4 beneficiaries is withheld (null)."""
    programmes = [programme] if programme is not None else list(programmes_list())
    for p in programmes:
        yield from _books_of(p)


def _books_of(p: Programme) -> Iterator[dict[str, Any]]:
    rows: dict[tuple[date, int], dict[str, Any]] = {}
    categories = {c.pk: c for c in categories_of(programme=p)}

    def row(month: date, category_id: int) -> dict[str, Any]:
        key = (month, category_id)
        if key not in rows:
            rows[key] = {
                "programme": p.slug,
                "territory": f"{p.territory.country_code}:{p.territory.code}",
                "month": period_label(month),
                "category": categories[category_id].code,
                "unit": p.unit,
                "issued": 0,
                "redeemed": 0,
                "expired": 0,
                "hours": 0,
                "beneficiaries": 0,
                "providers": 0,
            }
        return rows[key]

    # Issued and expired from the month totals, which the issuance and expiry runs keep with
    # their rows (a household has one wallet per category and one issuance per wallet and
    # month, so the issuances are the beneficiaries).
    for month, cat, issued, beneficiaries, expired in MonthTotal.objects.filter(
        category__programme=p
    ).values_list("month", "category_id", "issued", "beneficiaries", "expired"):
        if beneficiaries:
            r = row(month, cat)
            r["issued"] = issued
            r["beneficiaries"] = beneficiaries
        if expired:
            row(month, cat)["expired"] = expired
    for month, cat, amount, hundredths, providers in (
        Service.objects.filter(wallet__category__programme=p, status__in=POSTED)
        .annotate(month=TruncMonth("service_date"))
        .values_list("month", "wallet__category_id")
        .annotate(
            s=Sum("amount"),
            h=Sum("hundredths"),
            n=Count("accreditation__organization_id", distinct=True),
        )
        .order_by()
    ):
        r = row(month if isinstance(month, date) else month.date(), cat)
        r["redeemed"] = amount
        r["hours"] = hundredths / 100
        r["providers"] = providers
    for _key, r in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        persons = r["beneficiaries"]
        for key in ("issued", "redeemed", "expired", "hours", "beneficiaries"):
            r[key] = _cell(r[key], persons)
        if persons == 0 and (r["redeemed"] or r["expired"]):
            # Beneficiaries of a month without issuance are not counted: withhold all.
            for key in ("redeemed", "expired", "hours"):
                r[key] = None
        yield r


def provider_rows(*, programme: Programme | None = None) -> Iterator[dict[str, Any]]:
    """Per provider: hours delivered, beneficiaries served (withheld under 5) and the average
    rating (withheld under 5 ratings, so that no one's rating can be singled out)."""
    programmes = [programme] if programme is not None else list(programmes_list())
    for p in programmes:
        stats = (
            Service.objects.filter(wallet__household__programme=p, status__in=POSTED)
            .values_list("accreditation__organization_id", "accreditation__organization__name")
            .annotate(
                h=Sum("hundredths"),
                n=Count("wallet__household_id", distinct=True),
                ratings=Count("rating"),
                avg=Avg("rating"),
            )
            .order_by("accreditation__organization__name")
        )
        for org_id, name, hundredths, served, ratings, average in stats:
            yield {
                "programme": p.slug,
                "provider_id": org_id,
                "provider": name,
                "hours": hundredths / 100,
                "beneficiaries": suppress_small(served),
                "ratings": ratings,
                "average_rating": round(float(average), 2)
                if average is not None and ratings >= 5
                else None,
            }


def parameter_rows() -> Iterator[dict[str, Any]]:
    for v in ParameterValue.objects.select_related("programme", "change__motion").order_by(
        "programme__slug", "key", "active_from"
    ):
        yield {
            "programme": v.programme.slug,
            "key": v.key,
            "value": v.value,
            "active_from": v.active_from.isoformat(),
            "change": v.change_id,
            "motion": v.change.motion_id if v.change else None,
        }


def parameter_change_rows() -> Iterator[dict[str, Any]]:
    """Every proposed change, approved, rejected or awaiting the board: what it changes, from
    when, and the board's motion that decided it."""
    for c in ParameterChange.objects.select_related("programme").order_by(
        "programme__slug", "proposed_at", "id"
    ):
        yield {
            "programme": c.programme.slug,
            "change": c.pk,
            "summary": c.summary,
            "values": c.values,  # a JSON object (CSV: its JSON text)
            "effective_date": c.effective_date.isoformat(),
            "status": c.status,
            "motion": c.motion_id,
            "proposed_at": c.proposed_at.isoformat(),
            "decided_at": c.decided_at.isoformat() if c.decided_at else None,
        }


def parameters_updated_at() -> datetime | None:
    latest = ParameterChange.objects.order_by("-proposed_at").values_list("proposed_at", flat=True)
    decided = (
        ParameterChange.objects.filter(decided_at__isnull=False)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
    )
    candidates = [d for d in (latest.first(), decided.first()) if d is not None]
    return max(candidates) if candidates else None


def updated_at() -> datetime | None:
    latest = MonthTotal.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    service = Service.objects.order_by("-recorded_at").values_list("recorded_at", flat=True).first()
    candidates = [d for d in (latest, service) if d is not None]
    return max(candidates) if candidates else None


def issued_periods(*, programme: Programme) -> list[date]:
    return list(
        MonthTotal.objects.filter(category__programme=programme, beneficiaries__gt=0)
        .values_list("month", flat=True)
        .distinct()
        .order_by("month")
    )


# --- settlement ------------------------------------------------------------------------------


def batch_by_until(*, programme: Programme, until: date) -> SettlementBatch | None:
    return SettlementBatch.objects.filter(programme=programme, until_date=until).first()


def payment_batch(*, batch: SettlementBatch) -> PaymentBatch:
    """The batch's pending payments as payment files describe them. Its total equals the ledger
    total of the batch's transfers (asserted), converted at the programme's rate."""
    programme = batch.programme
    items = list(batch.items.filter(status="pending").select_related("accreditation__organization"))
    held = ledger.transfers_get(transfer_ids=[int(i.transfer_id) for i in items])
    assert sum(held[int(i.transfer_id)].amount for i in items) == sum(i.amount for i in items), (
        "the payment file's total is the ledger total of the batch"
    )
    return PaymentBatch(
        message_id=f"MINGA-{programme.slug[:20]}-{batch.pk}",
        created_at=batch.created_at,
        execution_date=batch.created_at.date(),
        currency=programme.settlement_currency,
        debtor_name=programme.debtor_name or programme.name,
        debtor_account=programme.debtor_account or "NOTPROVIDED",
        debtor_bic=programme.debtor_bic,
        payments=tuple(
            Payment(
                end_to_end_id=str(int(i.transfer_id)),
                creditor_name=i.accreditation.organization.name,
                creditor_account=i.accreditation.bank_account,
                creditor_bic=i.accreditation.bank_bic,
                amount_minor=i.amount_minor,
                remittance=f"Ingreso social para el cuidado hasta {batch.until_date.isoformat()}",
            )
            for i in items
        ),
    )


def settlements_of(*, programme: Programme) -> QuerySet[Settlement]:
    return Settlement.objects.filter(batch__programme=programme).select_related(
        "batch", "accreditation__organization", "accreditation__category"
    )


def batches_of(*, programme: Programme) -> QuerySet[SettlementBatch]:
    return SettlementBatch.objects.filter(programme=programme).order_by("-until_date", "-id")


def batch_by_id(*, programme: Programme, batch_id: int) -> SettlementBatch | None:
    return SettlementBatch.objects.filter(programme=programme, pk=batch_id).first()
