"""Writes of the social income programme.

All value moves through the ledger (minga.ledger.services), whose batches are durable
transactions of their own: a ledger batch cannot be nested inside this app's transaction. So
every write here is two steps, each atomic: first the ledger batch, with transfer ids derived
from what the transfer is for (programme, period, household, category...), then this app's
record of it with its audit event. A crash between the two is repaired by running the same
command again: the ledger answers `exists` for the derived ids, and the record is written from
what the ledger holds. The ledger is the truth; these rows say what each transfer was for."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from minga.core import identifiers
from minga.core.runtime import BackgroundWrites, collector_paused
from minga.core.services import audit_record
from minga.ledger import selectors as ledger_selectors
from minga.ledger import services as ledger
from minga.ledger.domain import AccountEvent, AccountFlags, TransferEvent, TransferFlags, id_text

from . import selectors
from .domain import (
    ACCOUNT_FUND,
    ACCOUNT_PROVIDER,
    ACCOUNT_SETTLEMENT,
    ACCOUNT_WALLET,
    ELIGIBILITY_RULES,
    LEDGER_BASE,
    SEQUENTIAL_MINOR_BITS,
    TRANSFER_EXPIRE,
    TRANSFER_ISSUE,
    TRANSFER_SERVICE,
    TRANSFER_SETTLE,
    ParameterError,
    add_months,
    check_category_code,
    check_parameters,
    derived_id,
    parse_hours,
    period_label,
    sequential_id,
    sequential_prefix,
    service_amount,
    settlement_id,
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
    SettlementStatus,
    Unit,
    Wallet,
)

LIMITED = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
PENDING = int(TransferFlags.PENDING)
POST = int(TransferFlags.POST_PENDING_TRANSFER)
VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
BATCH = 8190  # the ledger's batch limit
SUCCESS = frozenset({"ok", "exists"})

Progress = Callable[[int, int], None]
# Paths of the app's own pages (/socialincome/wallet/ ...) cannot be programme slugs.
RESERVED_SLUGS = frozenset({"wallet", "code", "services"})


# --- errors --------------------------------------------------------------------------------


class SocialIncomeError(Exception):
    """A refusal the user can act on: `message` says what is wrong, `field` where."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(SocialIncomeError):
    pass


class ProgrammeSlugTaken(SocialIncomeError):
    pass


class ParameterInvalid(SocialIncomeError):
    pass


class ChangeNotProposed(SocialIncomeError):
    pass


class MotionNotOfBoard(SocialIncomeError):
    pass


class MotionOpen(SocialIncomeError):
    pass


class EffectiveDateInPast(SocialIncomeError):
    pass


class MotionUsed(SocialIncomeError):
    pass


class CategoryExists(SocialIncomeError):
    pass


class NotSolidarityEconomy(SocialIncomeError):
    pass


class AccreditationExists(SocialIncomeError):
    pass


class NotAccredited(SocialIncomeError):
    pass


class ProviderInactive(SocialIncomeError):
    pass


class UnknownBeneficiary(SocialIncomeError):
    pass


class DuplicateService(SocialIncomeError):
    pass


class Overdraft(SocialIncomeError):
    pass


class ServiceNotPending(SocialIncomeError):
    pass


class RatingRefused(SocialIncomeError):
    pass


class CodeInvalid(SocialIncomeError):
    pass


class LedgerRefused(SocialIncomeError):
    """The ledger answered something other than ok/exists where that must never happen."""


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"línea {self.line}, {self.field}: {self.message}"


class RegistryRefused(SocialIncomeError):
    """A registry file with at least one bad row: nothing of it is imported."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:20]), errors[0].field if errors else "")


# --- helpers -------------------------------------------------------------------------------


def _ledger_ok(results: Sequence[str], what: str) -> None:
    bad = [(i, r) for i, r in enumerate(results) if r not in SUCCESS]
    if bad:
        raise LedgerRefused(f"{what}: el libro contable respondió {bad[:5]}")


def _text(value: str, *, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("Este campo es obligatorio."), field)
    if len(value) > max_length:
        raise InvalidInput(_("Admite como mucho %(n)s caracteres.") % {"n": max_length}, field)
    return value


def _programme_audit(p: Programme) -> dict[str, Any]:
    return {
        "slug": p.slug,
        "name": p.name,
        "territory": p.territory_id,
        "unit": p.unit,
        "currency_code": p.currency_code,
        "validity_months": p.validity_months,
        "confirm_window_days": p.confirm_window_days,
        "board": p.board_id,
        "start_date": p.start_date.isoformat(),
    }


# --- programmes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    eligibility: str


@dataclass(frozen=True)
class BandSpec:
    name: str
    min_income_cents: int


def programme_create(
    *,
    actor: Any,
    slug: str,
    name: str,
    territory: Any,
    unit: str,
    start_date: date,
    categories: Sequence[CategorySpec],
    bands: Sequence[BandSpec],
    allotments: Mapping[tuple[int, str], int],
    currency_code: str = "",
    validity_months: int = 3,
    confirm_window_days: int = 7,
    board: Any = None,
    identifier_scheme: str = "EC-CEDULA",
    settlement_currency: str = "USD",
    settlement_minor_per_unit: int = 1,
    debtor_name: str = "",
    debtor_account: str = "",
    debtor_bic: str = "",
    now: datetime,
) -> Programme:
    """Sets a programme up with its categories, bands and first parameters (in force from
    `start_date`; later changes need the board). Each category gets its own ledger."""
    slug = _text(slug, field="slug", max_length=60)
    if not slug.replace("-", "").isalnum() or not slug.isascii() or slug != slug.lower():
        raise InvalidInput(_("Solo minúsculas, dígitos y guiones."), "slug")
    if slug in RESERVED_SLUGS:
        raise InvalidInput(_("Ese identificador está reservado."), "slug")
    name = _text(name, field="name", max_length=200)
    if territory is None:
        raise InvalidInput(_("Elija un territorio."), "territory")
    if unit not in Unit.values:
        raise InvalidInput(_("Unidad desconocida."), "unit")
    if unit == Unit.CURRENCY and len(currency_code.strip()) != 3:
        raise InvalidInput(_("Un programa en moneda necesita un código ISO 4217."), "currency_code")
    if not 1 <= validity_months <= 24:
        raise InvalidInput(_("La vigencia va de 1 a 24 meses."), "validity_months")
    if not 1 <= confirm_window_days <= 60:
        raise InvalidInput(_("El plazo de confirmación va de 1 a 60 días."), "confirm_window_days")
    try:
        identifiers.scheme(identifier_scheme)
    except identifiers.UnknownScheme:
        raise InvalidInput(
            _("Esquema de identificador desconocido."), "identifier_scheme"
        ) from None
    if len(settlement_currency) != 3 or not settlement_currency.isalpha():
        raise InvalidInput(_("La moneda de pago es un código ISO 4217."), "settlement_currency")
    if type(settlement_minor_per_unit) is not int or settlement_minor_per_unit <= 0:
        raise InvalidInput(
            _("El valor de una unidad es un entero mayor que cero."), "settlement_minor_per_unit"
        )
    if not categories:
        raise InvalidInput(_("Un programa tiene al menos una categoría."), "categories")
    if not bands:
        raise InvalidInput(_("Un programa tiene al menos una banda de ingresos."), "bands")
    codes = [c.code for c in categories]
    if len(set(codes)) != len(codes):
        raise InvalidInput(_("Los códigos de categoría se repiten."), "categories")
    values: dict[str, Any] = {}
    for number, band in enumerate(bands, start=1):
        values[f"band:{number}:min_income"] = band.min_income_cents
    for c in categories:
        values[f"eligibility:{c.code}"] = c.eligibility
    for (band_number, code), amount in allotments.items():
        values[f"allotment:{band_number}:{code}"] = amount
    try:
        check_parameters(values, bands=range(1, len(bands) + 1), categories=codes)
    except ParameterError as error:
        raise ParameterInvalid(error.message, error.key) from None
    if selectors.programme_by_slug(slug=slug) is not None:
        raise ProgrammeSlugTaken(_("Ya existe un programa «%(slug)s».") % {"slug": slug}, "slug")
    with transaction.atomic():
        programme = Programme.objects.create(
            slug=slug,
            name=name,
            territory=territory,
            unit=unit,
            currency_code=currency_code.strip().upper(),
            validity_months=validity_months,
            confirm_window_days=confirm_window_days,
            board=board,
            start_date=start_date,
            identifier_scheme=identifier_scheme,
            settlement_currency=settlement_currency.upper(),
            settlement_minor_per_unit=settlement_minor_per_unit,
            debtor_name=debtor_name.strip()[:140],
            debtor_account=debtor_account.strip()[:34],
            debtor_bic=debtor_bic.strip()[:11],
            created_at=now,
        )
        for c in categories:
            category = Category.objects.create(
                programme=programme,
                code=_text(c.code, field="categories", max_length=40),
                name=_text(c.name, field="categories", max_length=120),
                ledger=0,
                fund_account_id="",
            )
            category.ledger = LEDGER_BASE + category.pk
            category.fund_account_id = id_text(derived_id("fund", category.pk))
            category.settlement_account_id = id_text(derived_id("settlement", category.pk))
            category.save(update_fields=["ledger", "fund_account_id", "settlement_account_id"])
        for number, band in enumerate(bands, start=1):
            Band.objects.create(programme=programme, number=number, name=band.name)
        change = ParameterChange.objects.create(
            programme=programme,
            summary=_("Parámetros iniciales del programa"),
            values=values,
            effective_date=start_date,
            status=ParameterChange.Status.APPROVED,
            proposed_at=now,
            decided_at=now,
        )
        ParameterValue.objects.bulk_create(
            ParameterValue(
                programme=programme, key=k, value=v, active_from=start_date, change=change
            )
            for k, v in sorted(values.items())
        )
        audit_record(
            actor=actor,
            action="socialincome.programme_create",
            object_type="socialincome.Programme",
            object_id=programme.pk,
            after={**_programme_audit(programme), "parameters": values},
            now=now,
        )
    programme_ledgers_ensure(programme=programme, now=now)
    return programme


def programme_ledgers_ensure(*, programme: Programme, now: datetime) -> None:
    """Defines each category's ledger and its fund account. Idempotent (the ledger answers
    `exists`), so it is safe to run again after a crash."""
    scale = 2
    unit = "horas/100" if programme.unit == Unit.HOURS else programme.currency_code
    events = []
    for c in selectors.categories_of(programme=programme):
        ledger.ledger_define(
            number=c.ledger,
            name=f"{programme.name}: {c.name}",
            unit=unit,
            scale=scale,
            actor="socialincome",
            now=now,
        )
        events.append(AccountEvent(id=int(c.fund_account_id), ledger=c.ledger, code=ACCOUNT_FUND))
        events.append(
            AccountEvent(id=int(c.settlement_account_id), ledger=c.ledger, code=ACCOUNT_SETTLEMENT)
        )
    _ledger_ok(ledger.accounts_create(events=events, actor="socialincome", now=now), "fund")


# --- parameters and the board --------------------------------------------------------------


def parameter_change_propose(
    *,
    actor: Any,
    programme: Programme,
    summary: str,
    values: Mapping[str, Any],
    effective_date: date,
    now: datetime,
) -> ParameterChange:
    """Proposes new values for bands, allotments, eligibility rules or provider rates, or a new
    category (`category:<code>` with its name, plus its eligibility rule and its allotment in
    every band). They take effect only once the board approves them (parameter_change_decide).
    The proposal is checked against the whole parameter set in force on the effective date."""
    summary = _text(summary, field="summary", max_length=300)
    if not values:
        raise InvalidInput(_("Una propuesta cambia al menos un parámetro."), "values")
    if effective_date < now.date():
        raise EffectiveDateInPast(_("La fecha de vigencia no puede ser pasada."), "effective_date")
    existing = {c.code for c in selectors.categories_of(programme=programme)}
    added = _categories_added(programme=programme, values=values, existing=existing)
    merged = selectors.parameters_at(programme=programme, on=effective_date)
    merged.update(values)
    in_force = [
        c.code
        for c in selectors.categories_of(programme=programme)
        if f"eligibility:{c.code}" in merged
    ]
    try:
        check_parameters(
            merged,
            bands=[b.number for b in selectors.bands_of(programme=programme)],
            categories=[*in_force, *added],
            accreditations=selectors.accreditation_ids(programme=programme),
        )
    except ParameterError as error:
        raise ParameterInvalid(error.message, error.key) from None
    with transaction.atomic():
        change = ParameterChange.objects.create(
            programme=programme,
            summary=summary,
            values=dict(values),
            effective_date=effective_date,
            status=ParameterChange.Status.PROPOSED,
            proposed_at=now,
        )
        audit_record(
            actor=actor,
            action="socialincome.parameter_change_propose",
            object_type="socialincome.ParameterChange",
            object_id=change.pk,
            after={"values": dict(values), "effective_date": effective_date.isoformat()},
            now=now,
        )
    return change


def _categories_added(
    *, programme: Programme, values: Mapping[str, Any], existing: set[str]
) -> list[str]:
    """The codes of the new categories a proposal adds (its `category:<code>` keys)."""
    added: list[str] = []
    for key in sorted(values):
        if not key.startswith("category:"):
            continue
        code = key.removeprefix("category:")
        try:
            check_category_code(code)
        except ValueError as error:
            raise ParameterInvalid(str(error), key) from None
        if code in existing:
            raise CategoryExists(_("El programa ya tiene esta categoría."), key)
        if selectors.parameter_changes(programme=programme).filter(
            status=ParameterChange.Status.PROPOSED, values__has_key=key
        ):
            raise CategoryExists(_("Ya hay una propuesta pendiente que añade esta categoría."), key)
        added.append(code)
    return added


def category_propose(
    *,
    actor: Any,
    programme: Programme,
    code: str,
    name: str,
    eligibility: str,
    allotments: Mapping[int, int],
    summary: str,
    effective_date: date,
    now: datetime,
) -> ParameterChange:
    """Proposes a new service category: its name, eligibility rule and monthly allotment per
    band. Once the board approves it, the category gets its own ledger and issues credits from
    the first month that starts on or after its effective date."""
    try:
        code = check_category_code(code)
    except ValueError as error:
        raise InvalidInput(str(error), "code") from None
    name = _text(name, field="name", max_length=120)
    if eligibility not in ELIGIBILITY_RULES:
        raise InvalidInput(_("Regla de elegibilidad desconocida."), "eligibility")
    values: dict[str, Any] = {f"category:{code}": name, f"eligibility:{code}": eligibility}
    for band in selectors.bands_of(programme=programme):
        if band.number not in allotments:
            raise ParameterInvalid(_("falta este parámetro"), f"allotment:{band.number}:{code}")
        values[f"allotment:{band.number}:{code}"] = allotments[band.number]
    return parameter_change_propose(
        actor=actor,
        programme=programme,
        summary=summary,
        values=values,
        effective_date=effective_date,
        now=now,
    )


def parameter_change_decide(
    *, actor: Any, change: ParameterChange, motion: Any, now: datetime
) -> ParameterChange:
    """Applies the board's recorded vote: a passed motion of the programme's board puts the
    values in force from the change's effective date (a new category is created then, with its
    own ledger); a rejected one closes the proposal."""
    with transaction.atomic():
        change = ParameterChange.objects.select_for_update().get(pk=change.pk)
        programme = change.programme
        if change.status != ParameterChange.Status.PROPOSED:
            raise ChangeNotProposed(_("Esta propuesta ya fue decidida."), "change")
        if motion is None or programme.board_id is None:
            raise MotionNotOfBoard(_("La moción no es del directorio del programa."), "motion")
        if motion.meeting.council_id != programme.board_id:
            raise MotionNotOfBoard(_("La moción no es del directorio del programa."), "motion")
        if motion.closed_at is None or not motion.outcome:
            raise MotionOpen(_("La votación de la moción no ha terminado."), "motion")
        passed = motion.outcome == "passed"
        if passed and change.effective_date < now.date():
            raise EffectiveDateInPast(
                _("La fecha de vigencia ya pasó: proponga una nueva fecha."), "effective_date"
            )
        if ParameterChange.objects.filter(motion_id=motion.pk).exclude(pk=change.pk).exists():
            raise MotionUsed(_("Esa moción ya decidió otra propuesta."), "motion")
        change.status = (
            ParameterChange.Status.APPROVED if passed else ParameterChange.Status.REJECTED
        )
        change.motion = motion
        change.decided_at = now
        change.save(update_fields=["status", "motion", "decided_at"])
        created: list[str] = []
        if passed:
            for key, name in sorted(change.values.items()):
                if key.startswith("category:"):
                    created.append(_category_create(programme, key.removeprefix("category:"), name))
            for key, value in sorted(change.values.items()):
                ParameterValue.objects.update_or_create(
                    programme=programme,
                    key=key,
                    active_from=change.effective_date,
                    defaults={"value": value, "change": change},
                )
        audit_record(
            actor=actor,
            action="socialincome.parameter_change_decide",
            object_type="socialincome.ParameterChange",
            object_id=change.pk,
            after={"status": change.status, "motion": motion.pk, "categories_added": created},
            now=now,
        )
    if created:
        # The new category's ledger and fund account; idempotent, and run again by every
        # issuance, so a crash right here is repaired by the next `issue`.
        programme_ledgers_ensure(programme=programme, now=now)
    return change


def _category_create(programme: Programme, code: str, name: str) -> str:
    if Category.objects.filter(programme=programme, code=code).exists():
        raise CategoryExists(_("El programa ya tiene esta categoría."), f"category:{code}")
    category = Category.objects.create(
        programme=programme, code=code, name=name, ledger=0, fund_account_id=""
    )
    # Each category is its own ledger asset, so credits cannot cross categories.
    category.ledger = LEDGER_BASE + category.pk
    category.fund_account_id = id_text(derived_id("fund", category.pk))
    category.settlement_account_id = id_text(derived_id("settlement", category.pk))
    category.save(update_fields=["ledger", "fund_account_id", "settlement_account_id"])
    return code


def parameter_change_put_to_board(
    *, actor: Any, change: ParameterChange, meeting: Any, now: datetime
) -> Any:
    """Puts a proposed change to the programme's board as a motion of one of its meetings
    (councils.services.motion_create); the board votes it there, and the vote decides the
    change (parameter_change_decide)."""
    from minga.councils import services as councils

    programme = change.programme
    if change.status != ParameterChange.Status.PROPOSED:
        raise ChangeNotProposed(_("Esta propuesta ya fue decidida."), "change")
    if meeting is None or programme.board_id is None or meeting.council_id != programme.board_id:
        raise MotionNotOfBoard(_("La sesión no es del directorio del programa."), "meeting")
    title = _("Cambio de parámetros: %(summary)s") % {"summary": change.summary}
    lines = [f"{key} = {value}" for key, value in sorted(change.values.items())]
    text = "\n".join(
        [
            _("Propuesta n.º %(n)s, vigente desde %(d)s:")
            % {"n": change.pk, "d": change.effective_date.isoformat()},
            *lines,
        ]
    )
    try:
        with transaction.atomic():
            motion = councils.motion_create(
                actor=actor, meeting=meeting, title=title[:300], text=text, now=now
            )
            audit_record(
                actor=actor,
                action="socialincome.parameter_change_put_to_board",
                object_type="socialincome.ParameterChange",
                object_id=change.pk,
                after={"meeting": meeting.pk, "motion": motion.pk},
                now=now,
            )
    except councils.CouncilError as error:
        raise InvalidInput(error.message, error.field or "meeting") from None
    return motion


# --- registry import -----------------------------------------------------------------------

REGISTRY_COLUMNS = ("cedula", "household_id", "birth_date", "income", "disability")
TRUE_WORDS = {"1", "si", "sí", "true", "yes", "s", "x"}
FALSE_WORDS = {"0", "no", "false", "n", ""}


@dataclass(frozen=True)
class RegistryRow:
    line: int
    cedula: str
    household_id: str
    birth_date: date
    income_cents: int
    disability: bool


def _income_cents(text: str) -> int:
    raw = text.strip().replace(",", ".")
    if not raw:
        raise ValueError(_("falta el ingreso"))
    whole, _sep, frac = raw.partition(".")
    if not whole.isdecimal() or (frac and not frac.isdecimal()) or len(frac) > 2:
        raise ValueError(_("no es un importe (ej. 350.00)"))
    return int(whole) * 100 + int((frac + "00")[:2])


def registry_rows_read(*, data: bytes, scheme: str, today: date) -> list[RegistryRow]:
    """Parses a registry CSV (one row per person). Raises RegistryRefused listing every bad line
    (line 1 is the header)."""
    errors: list[LineError] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegistryRefused([LineError(1, "file", _("el archivo no está en UTF-8"))]) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REGISTRY_COLUMNS if c not in header]
    if missing:
        raise RegistryRefused(
            [LineError(1, m, _("falta la columna en la cabecera")) for m in missing]
        )
    index = {c: header.index(c) for c in REGISTRY_COLUMNS}
    rows: list[RegistryRow] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            errors.append(LineError(line, "row", _("faltan columnas")))
            continue
        values = {c: cells[i].strip() for c, i in index.items()}
        row_errors: list[LineError] = []
        try:
            cedula = identifiers.validate(scheme, values["cedula"], field="cedula")
        except identifiers.InvalidIdentifier as error:
            row_errors.append(LineError(line, "cedula", error.reason))
            cedula = ""
        if cedula and cedula in seen:
            row_errors.append(
                LineError(
                    line, "cedula", _("repetida (ya en la línea %(n)s)") % {"n": seen[cedula]}
                )
            )
        household_id = values["household_id"]
        if not household_id or len(household_id) > 40:
            row_errors.append(LineError(line, "household_id", _("falta o pasa de 40 caracteres")))
        try:
            birth = date.fromisoformat(values["birth_date"])
            if birth > today:
                row_errors.append(LineError(line, "birth_date", _("es una fecha futura")))
        except ValueError:
            row_errors.append(LineError(line, "birth_date", _("no es una fecha AAAA-MM-DD")))
            birth = today
        try:
            income = _income_cents(values["income"])
        except ValueError as error:
            row_errors.append(LineError(line, "income", str(error)))
            income = 0
        flag = values["disability"].lower()
        if flag not in TRUE_WORDS | FALSE_WORDS:
            row_errors.append(LineError(line, "disability", _("escriba sí o no")))
        if row_errors:
            errors.extend(row_errors)
            continue
        seen[cedula] = line
        rows.append(RegistryRow(line, cedula, household_id, birth, income, flag in TRUE_WORDS))
    if errors:
        raise RegistryRefused(errors)
    if not rows:
        raise RegistryRefused([LineError(2, "file", _("el archivo no tiene filas"))])
    return rows


def registry_import(
    *, actor: Any, programme: Programme, data: bytes, filename: str = "", now: datetime
) -> ImportRun:
    """Imports households and members. All or nothing; a re-import updates in place (members
    are matched by cédula, households by registry id), removes members no longer listed, and
    records what changed. Then opens the wallets of the households' eligible categories
    (wallets_open)."""
    rows = registry_rows_read(data=data, scheme=programme.identifier_scheme, today=now.date())
    changes: list[dict[str, Any]] = []
    with transaction.atomic():
        households = {h.registry_id: h for h in Household.objects.filter(programme=programme)}
        members = {
            m.cedula: m
            for m in Member.objects.select_for_update()
            .filter(programme=programme)
            .select_related("household")
            .order_by("pk")
        }
        listed: set[str] = set()
        for row in rows:
            household = households.get(row.household_id)
            if household is None:
                household = Household.objects.create(
                    programme=programme,
                    registry_id=row.household_id,
                    created_at=now,
                    updated_at=now,
                )
                households[row.household_id] = household
                changes.append({"household": row.household_id, "what": "household_added"})
            listed.add(row.cedula)
            member = members.get(row.cedula)
            if member is None:
                Member.objects.create(
                    programme=programme,
                    household=household,
                    cedula=row.cedula,
                    birth_date=row.birth_date,
                    income_cents=row.income_cents,
                    disability=row.disability,
                )
                changes.append({"cedula": row.cedula, "what": "added", "line": row.line})
                continue
            before = {
                "household_id": member.household.registry_id,
                "birth_date": member.birth_date.isoformat(),
                "income_cents": member.income_cents,
                "disability": member.disability,
            }
            after = {
                "household_id": row.household_id,
                "birth_date": row.birth_date.isoformat(),
                "income_cents": row.income_cents,
                "disability": row.disability,
            }
            diff = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
            if diff:
                member.household = household
                member.birth_date = row.birth_date
                member.income_cents = row.income_cents
                member.disability = row.disability
                member.save(update_fields=["household", "birth_date", "income_cents", "disability"])
                changes.append(
                    {"cedula": row.cedula, "what": "updated", "line": row.line, "fields": diff}
                )
        for cedula, member in members.items():
            if cedula not in listed:
                member.delete()
                changes.append({"cedula": cedula, "what": "removed"})
        run = ImportRun.objects.create(
            programme=programme,
            actor_label=getattr(actor, "username", str(actor or "system")),
            filename=filename[:200],
            rows=len(rows),
            changes=changes,
            imported_at=now,
        )
        audit_record(
            actor=actor,
            action="socialincome.registry_import",
            object_type="socialincome.Programme",
            object_id=programme.pk,
            # Counts, not personal data: the audit log is read by auditors.
            after={
                "rows": len(rows),
                **{k: n for k, n in run.counts().items() if k != "household_added"},
            },
            now=now,
        )
    # After the import's transaction: the ledger writes in its own. A failure here leaves the
    # import done; the next import or issuance opens what is missing.
    wallets_open(programme=programme, now=now)
    return run


def member_account_link(
    *, actor: Any, programme: Programme, cedula: str, user: Any, now: datetime
) -> Member:
    """Links a resident's sign-in account to their registry entry, so that they see their
    household's wallet (done by an official who has checked the person's identity)."""
    if user is None:
        raise InvalidInput(_("Elija la cuenta de usuario."), "user")
    with transaction.atomic():
        member = (
            Member.objects.select_for_update()
            .filter(programme=programme, cedula=cedula.strip())
            .first()
        )
        if member is None:
            raise UnknownBeneficiary(
                _("No hay una persona inscrita con esa cédula en el programa."), "cedula"
            )
        member.user = user
        member.save(update_fields=["user"])
        audit_record(
            actor=actor,
            action="socialincome.member_account_link",
            object_type="socialincome.Member",
            object_id=member.pk,
            after={"user": user.pk},
            now=now,
        )
    return member


def record_view_log(*, viewer: Any, household: Household, now: datetime) -> RecordView:
    """Every official's view of a household's personal record is logged; its members see it."""
    with transaction.atomic():
        view = RecordView.objects.create(household=household, viewer=viewer, viewed_at=now)
        audit_record(
            actor=viewer,
            action="socialincome.record_view",
            object_type="socialincome.Household",
            object_id=household.pk,
            now=now,
        )
    return view


# --- providers ------------------------------------------------------------------------------


def accreditation_create(
    *,
    actor: Any,
    programme: Programme,
    organization: Any,
    category: Category,
    hourly_rate: int,
    valid_from: date,
    valid_to: date | None = None,
    bank_account: str = "",
    bank_bic: str = "",
    now: datetime,
) -> Accreditation:
    """Accredits a solidarity-economy organisation for one category at an hourly rate (ledger
    minor units per hour of service), valid in [valid_from, valid_to)."""
    if organization is None:
        raise InvalidInput(_("Elija una organización."), "organization")
    if str(organization.classification) not in selectors.solidarity_economy_classifications():
        raise NotSolidarityEconomy(
            _(
                "Solo se acreditan organizaciones de la economía popular y solidaria "
                "(cooperativas, asociaciones, organizaciones comunitarias, empresas sociales)."
            ),
            "organization",
        )
    if category.programme_id != programme.pk:
        raise InvalidInput(_("La categoría no es de este programa."), "category")
    if type(hourly_rate) is not int or hourly_rate <= 0:
        raise InvalidInput(_("La tarifa por hora es un entero mayor que cero."), "hourly_rate")
    if valid_to is not None and valid_to <= valid_from:
        raise InvalidInput(_("La fecha final va después de la inicial."), "valid_to")
    if selectors.accreditation_for(
        programme=programme, organization_id=organization.pk, category_code=category.code
    ):
        raise AccreditationExists(
            _("La organización ya está acreditada en esta categoría."), "category"
        )
    account_id = derived_id("provider", programme.pk, organization.pk, category.pk)
    _ledger_ok(
        ledger.accounts_create(
            events=[
                AccountEvent(
                    id=account_id, ledger=category.ledger, code=ACCOUNT_PROVIDER, flags=LIMITED
                )
            ],
            actor="socialincome",
            now=now,
        ),
        "provider account",
    )
    with transaction.atomic():
        accreditation = Accreditation.objects.create(
            programme=programme,
            organization=organization,
            category=category,
            status=AccreditationStatus.ACTIVE,
            valid_from=valid_from,
            valid_to=valid_to,
            account_id=id_text(account_id),
            bank_account=bank_account.strip()[:34],
            bank_bic=bank_bic.strip()[:11],
            created_at=now,
        )
        key = f"rate:{accreditation.pk}"
        change = ParameterChange.objects.create(
            programme=programme,
            summary=_("Acreditación de %(org)s") % {"org": organization.name},
            values={key: hourly_rate},
            effective_date=valid_from,
            status=ParameterChange.Status.APPROVED,
            proposed_at=now,
            decided_at=now,
        )
        ParameterValue.objects.create(
            programme=programme, key=key, value=hourly_rate, active_from=valid_from, change=change
        )
        audit_record(
            actor=actor,
            action="socialincome.accreditation_create",
            object_type="socialincome.Accreditation",
            object_id=accreditation.pk,
            after={
                "organization": organization.pk,
                "category": category.code,
                "hourly_rate": hourly_rate,
                "valid_from": valid_from.isoformat(),
                "valid_to": valid_to.isoformat() if valid_to else None,
            },
            now=now,
        )
    return accreditation


def accreditation_status_set(
    *, actor: Any, accreditation: Accreditation, status: str, now: datetime
) -> Accreditation:
    if status not in AccreditationStatus.values:
        raise InvalidInput(_("Estado desconocido."), "status")
    with transaction.atomic():
        accreditation = Accreditation.objects.select_for_update().get(pk=accreditation.pk)
        before = accreditation.status
        accreditation.status = status
        accreditation.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="socialincome.accreditation_status_set",
            object_type="socialincome.Accreditation",
            object_id=accreditation.pk,
            before={"status": before},
            after={"status": status},
            now=now,
        )
    return accreditation


# --- monthly issuance -----------------------------------------------------------------------


@dataclass
class RunReport:
    period: str
    due: int = 0
    done_before: int = 0
    written: int = 0
    amount: int = 0
    per_category: dict[str, int] = field(default_factory=dict)


def _copy_text(rows: Sequence[tuple[Any, ...]]) -> str:
    """Rows as COPY's text format. The rows written here hold only integers, zero-padded
    decimal ids, dates and aware datetimes, whose str() is already what COPY reads (ISO dates
    whatever the server's DateStyle) and holds no tab, newline or backslash to escape."""
    for value in rows[0]:
        assert isinstance(value, int | date) or (isinstance(value, str) and value.isdigit()), (
            f"COPY text needs no escaping only for integers, digit ids and dates: {value!r}"
        )
    return "".join(["\t".join(map(str, row)) + "\n" for row in rows])


def _copy(table: str, names: str, text: str) -> None:
    # Django's error classes (IntegrityError, ...), with psycopg's error as the cause.
    with (
        connection.wrap_database_errors,
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        copy.write(text)


def _insert_ignoring_existing(
    table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> int:
    """Inserts rows, skipping those already there (written by another run of the same command),
    and answers how many it inserted. The ORM's bulk_create builds a model instance per row,
    which costs more than the ledger batch itself at a million rows."""
    if not rows:
        return 0
    names = ", ".join(columns)
    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608 - fixed names
                "ON CONFLICT DO NOTHING",
                rows,
            )
            # executemany sums the rows each INSERT changed: 0 for a skipped one.
            return int(cursor.rowcount)
    assert connection.in_atomic_block, "the rows and the scratch table live in one transaction"
    text = _copy_text(rows)
    try:
        # The callers leave out what they found done, so the rows are almost always new: COPY
        # them straight in, and let the table's unique constraints say otherwise.
        with transaction.atomic():
            _copy(table, names, text)
        return len(rows)
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) != "23505":
            raise  # not a duplicate: a bad row, which the caller must hear about
        # A concurrent run wrote some of them first; the savepoint rolled the COPY back.
    # COPY cannot skip conflicts: into a scratch table shaped like the target's columns, then
    # one INSERT that skips them (about twice the work of the straight COPY).
    scratch = f"scratch_{table}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "  # noqa: S608 - fixed names
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        _copy(scratch, names, text)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} "  # noqa: S608 - fixed names
            "ON CONFLICT DO NOTHING"
        )
        inserted = int(cursor.rowcount)
        cursor.execute(f"TRUNCATE {scratch}")
    return inserted


def _sequential_ids(run: Sequence[object], pairs: Sequence[tuple[int, int]]) -> list[int]:
    """domain.sequential_id for every (major, minor) of one run, the prefix hashed once."""
    prefix = sequential_prefix(*run)
    if pairs:
        majors, minors = [p[0] for p in pairs], [p[1] for p in pairs]
        for extreme in {(min(majors), min(minors)), (max(majors), max(minors))}:
            sequential_id(prefix, *extreme)  # raises if a pair is out of range
    shift = SEQUENTIAL_MINOR_BITS
    return [prefix | major << shift | minor for major, minor in pairs]


def _wallets_of(programme: Programme) -> dict[tuple[int, int], tuple[int, str]]:
    """{(household id, category id): (wallet id, account id)} of the programme's wallets."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.id, w.household_id, w.category_id, w.account_id "  # noqa: S608 - fixed names
            f"FROM {Wallet._meta.db_table} w JOIN {Category._meta.db_table} c "
            "ON c.id = w.category_id WHERE c.programme_id = %s",
            [programme.pk],
        )
        return {(h, c): (pk, account) for pk, h, c, account in cursor.fetchall()}


@transaction.atomic
def _wallet_rows_insert(rows: list[tuple[int, int, str]]) -> None:
    """(household id, category id, account id) per row, skipping those already there."""
    _insert_ignoring_existing(
        Wallet._meta.db_table, ("household_id", "category_id", "account_id"), rows
    )


def _wallets_ensure(
    *, programme: Programme, pairs: Sequence[tuple[int, Category]], now: datetime
) -> tuple[dict[tuple[int, int], tuple[int, str]], int]:
    """Wallet rows and their ledger accounts (debits must not exceed credits) for each
    (household id, category): {(household id, category id): (wallet id, account id)} of all the
    programme's wallets, and how many were missing. Ledger first, then the rows: both steps are
    idempotent."""
    existing = _wallets_of(programme)
    missing = [(h, c) for h, c in pairs if (h, c.id) not in existing]
    if not missing:
        return existing, 0
    ids = _sequential_ids(WALLET_RUN, [(h, c.id) for h, c in missing])
    # In id order, which is household order: each batch then adds to the end of the ledger's
    # id indexes instead of all over them, and the accounts' rows lie in id order.
    ordered = sorted(zip(ids, missing, strict=True), key=itemgetter(0))
    # Each batch's rows after its accounts, written while the ledger makes the next batch's
    # accounts (PostgreSQL): a crash in between leaves accounts without rows, and the rerun's
    # accounts_create answers `exists` for them. In account order, so that wallet ids follow
    # the accounts' order (see month_issue).
    with BackgroundWrites() as writes:
        for start in range(0, len(ordered), BATCH):
            chunk = ordered[start : start + BATCH]
            events = [
                AccountEvent(id=i, ledger=c.ledger, code=ACCOUNT_WALLET, flags=LIMITED)
                for i, (_h, c) in chunk
            ]
            results = ledger.accounts_create(events=events, actor="socialincome", now=now)
            _ledger_ok(results, "wallet")
            writes.submit(
                partial(_wallet_rows_insert, [(h, c.id, id_text(i)) for i, (h, c) in chunk])
            )
    return _wallets_of(programme), len(missing)


@collector_paused()
def wallets_open(*, programme: Programme, now: datetime) -> int:
    """Opens the wallet of every category each enrolled household is eligible for in the
    current month (or in the programme's first month, if it has not started): a resident sees
    their wallets, empty, from enrolment on, and the monthly issuance only credits them.
    Idempotent and resumable, like the issuance. The issuance still opens any wallet its month
    needs that is missing (a member who turns 65, a category added later, a crash here).
    Answers how many wallets it opened."""
    period = max(_month_of(now), programme.start_date.replace(day=1))
    programme_ledgers_ensure(programme=programme, now=now)
    due = selectors.entitlements(programme=programme, period=period)
    _wallets, opened = _wallets_ensure(
        programme=programme, pairs=[(e.household_id, e.category) for e in due], now=now
    )
    return opened


# The run of every wallet account's id: all the wallets in one range, in household order.
WALLET_RUN = ("wallet",)


def wallet_account_id(household_id: int, category_id: int) -> int:
    return sequential_id(sequential_prefix(*WALLET_RUN), household_id, category_id)


def _issue_run(programme: Programme, period: date) -> tuple[object, ...]:
    return ("issue", programme.pk, period_label(period))


def issue_transfer_id(
    programme: Programme, period: date, household_id: int, category_id: int
) -> int:
    return sequential_id(
        sequential_prefix(*_issue_run(programme, period)), household_id, category_id
    )


@collector_paused()
def month_issue(
    *,
    actor: Any,
    programme: Programme,
    period: date,
    now: datetime,
    chunk_size: int = BATCH,
    progress: Progress | None = None,
) -> RunReport:
    """Issues every eligible household's allotment for the month starting `period`. Idempotent
    and resumable: each transfer's id is derived from (programme, period, household,
    category), so a rerun finds what is done and the ledger answers `exists` for a batch whose
    record was lost in a crash."""
    assert period.day == 1, "a period is the first day of a month"
    assert 1 <= chunk_size <= BATCH
    if period < programme.start_date.replace(day=1):
        raise InvalidInput(_("El programa aún no había empezado en ese mes."), "period")
    report = RunReport(period=period_label(period))
    programme_ledgers_ensure(programme=programme, now=now)
    due = selectors.entitlements(programme=programme, period=period)
    report.due = len(due)
    wallets, _opened = _wallets_ensure(
        programme=programme, pairs=[(e.household_id, e.category) for e in due], now=now
    )
    done = set(
        Issuance.objects.filter(category__programme=programme, period_date=period)
        .values_list("wallet_id", flat=True)
        .order_by()
    )
    categories = {e.category.id: e.category for e in due}
    fund_of = {c: int(category.fund_account_id) for c, category in categories.items()}
    # (wallet id, wallet account id, household id, category id, amount) of what is left to
    # issue, in wallet order, which is the wallet accounts' order (_wallets_ensure): a batch
    # then updates, locks and indexes neighbouring rows of the accounts and wallets instead of
    # rows all over a million of them. Wallet ids are unique: tuples compare on them alone.
    todo = sorted(
        (*wallet, e.household_id, e.category.id, e.amount)
        for e in due
        if (wallet := wallets[(e.household_id, e.category.id)])[0] not in done
    )
    report.done_before = len(due) - len(todo)
    if progress:
        progress(report.done_before, report.due)
    run = _issue_run(programme, period)
    month = period.year * 100 + period.month
    # The database's form of the run's date and time, made once for a million rows.
    db_period = connection.ops.adapt_datefield_value(period)
    db_now = connection.ops.adapt_datetimefield_value(now)
    per_category: dict[int, int] = {}
    # The batches as the ledger draws them (ahead of its answers: ledger pipelining), each
    # with what its record needs once the ledger answers. Making them touches no database:
    # the ledger holds a transaction open on this connection while it draws them.
    drawn: deque[tuple[list[tuple[int, str, int, int, int]], list[int], list[TransferEvent]]]
    drawn = deque()

    def batches() -> Iterator[list[TransferEvent]]:
        for start in range(0, len(todo), chunk_size):
            chunk = todo[start : start + chunk_size]
            ids = _sequential_ids(run, [(h, c) for _w, _a, h, c, _m in chunk])
            events = [
                TransferEvent(
                    id=i,
                    debit_account_id=fund_of[c],
                    credit_account_id=int(account),
                    amount=amount,
                    ledger=categories[c].ledger,
                    code=TRANSFER_ISSUE,
                    user_data_32=month,
                )
                for i, (_w, account, _h, c, amount) in zip(ids, chunk, strict=True)
            ]
            drawn.append((chunk, ids, events))
            yield events

    # Each batch's record is written while the ledger decides the next (PostgreSQL).
    with BackgroundWrites() as writes:
        for results in ledger.transfers_create_pipelined(
            batches=batches(), actor="socialincome", now=now
        ):
            chunk, ids, events = drawn.popleft()
            # What a crash left in the ledger is recorded as it is, never recomputed.
            stored = _stored_where_not_ok(events, results)
            amounts = [
                ev.amount if r == "ok" else stored[ev.id]
                for ev, r in zip(events, results, strict=True)
            ]
            rows = [
                (wallet_id, c, db_period, amount, id_text(i), db_now)
                for i, (wallet_id, _a, _h, c, _m), amount in zip(ids, chunk, amounts, strict=True)
            ]
            writes.submit(
                partial(
                    _issuance_record,
                    actor=actor,
                    programme=programme,
                    period=period,
                    rows=rows,
                    now=now,
                )
            )
            for (_w, _a, _h, c, _m), amount in zip(chunk, amounts, strict=True):
                per_category[c] = per_category.get(c, 0) + amount
            report.amount += sum(amounts)
            report.written += len(rows)
            if progress:
                progress(report.done_before + report.written, report.due)
    report.per_category = {categories[c].code: amount for c, amount in per_category.items()}
    return report


def _stored_where_not_ok(events: Sequence[TransferEvent], results: Sequence[str]) -> dict[int, int]:
    """For every event the ledger did not answer `ok`, the amount it holds under that id (it
    already existed: a rerun after a crash). Any other refusal is a bug and raises."""
    others = [e.id for e, r in zip(events, results, strict=True) if r != "ok"]
    if not others:
        return {}
    stored = ledger_selectors.transfers_get(transfer_ids=others)
    missing = [
        (i, r)
        for i, (e, r) in enumerate(zip(events, results, strict=True))
        if r != "ok" and e.id not in stored
    ]
    if missing:
        raise LedgerRefused(f"el libro contable rechazó transferencias: {missing[:5]}")
    return {i: t.amount for i, t in stored.items()}


ISSUED, EXPIRED = "issued", "expired"


def _month_of(moment: datetime) -> date:
    """The first day of the month of `moment` in the platform's time zone (not the one a
    request may have activated)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date().replace(day=1)


def _month_totals_record(
    kind: str, parts: Sequence[tuple[int, date, int]], *, complete: bool, now: datetime
) -> None:
    """Adds a batch's (category id, month, amount) rows of `kind` to the month totals, in the
    batch's transaction. When some of its rows were already there (another run wrote them
    first), the totals of the batch's months are counted again from the rows instead."""
    sums: dict[tuple[int, date], list[int]] = {}
    for category, month, amount in parts:
        total = sums.setdefault((category, month), [0, 0])
        total[0] += amount
        total[1] += 1
    table = MonthTotal._meta.db_table
    # Adds the batch's own sums (the other kind's columns add 0); with zeros, only makes sure
    # the row is there and holds its lock.
    upsert = (
        f"INSERT INTO {table} "  # noqa: S608 - fixed names
        "(category_id, month, issued, beneficiaries, expired, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (category_id, month) DO UPDATE SET "
        f"issued = {table}.issued + excluded.issued, "
        f"beneficiaries = {table}.beneficiaries + excluded.beneficiaries, "
        f"expired = {table}.expired + excluded.expired, updated_at = excluded.updated_at"
    )
    db_now = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for (category, month), (amount, count) in sorted(sums.items()):
            db_month = connection.ops.adapt_datefield_value(month)
            if complete:
                issued, beneficiaries, expired = (
                    (amount, count, 0) if kind == ISSUED else (0, 0, amount)
                )
                cursor.execute(upsert, [category, db_month, issued, beneficiaries, expired, db_now])
                continue
            # Counted after the row's lock is held: a concurrent batch that added its sums has
            # committed its rows by then (PostgreSQL reads them in the next statement), and
            # one that has not yet added them waits, then adds them to this count.
            cursor.execute(upsert, [category, db_month, 0, 0, 0, db_now])
            amount, count = _month_counted(kind, category, month)
            columns = "issued = %s, beneficiaries = %s" if kind == ISSUED else "expired = %s"
            cursor.execute(
                f"UPDATE {table} SET {columns} "  # noqa: S608 - fixed names
                "WHERE category_id = %s AND month = %s",
                [*((amount, count) if kind == ISSUED else (amount,)), category, db_month],
            )


def _month_counted(kind: str, category: int, month: date) -> tuple[int, int]:
    """(sum of amounts, rows) of `kind` recorded for the category in the month."""
    rows: QuerySet[Any]
    if kind == ISSUED:
        rows = Issuance.objects.filter(category_id=category, period_date=month)
    else:
        zone = timezone.get_default_timezone()
        start = timezone.make_aware(datetime(month.year, month.month, 1), zone)
        following = add_months(month, 1)
        end = timezone.make_aware(datetime(following.year, following.month, 1), zone)
        rows = Expiry.objects.filter(
            category_id=category, expired_at__gte=start, expired_at__lt=end
        )
    counted = rows.order_by().aggregate(s=Sum("amount"), n=Count("pk"))
    return int(counted["s"] or 0), int(counted["n"])


@transaction.atomic
def _issuance_record(
    *, actor: Any, programme: Programme, period: date, rows: list[tuple[Any, ...]], now: datetime
) -> None:
    """Records a batch the ledger holds: (wallet id, category id, period, amount, transfer id,
    issued at) per row, and one audit event for the batch."""
    if connection.vendor == "postgresql":
        # The foreign keys are checked as the rows go in, before the audit head is locked,
        # rather than at the commit with the audit head held.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    inserted = _insert_ignoring_existing(
        Issuance._meta.db_table,
        ("wallet_id", "category_id", "period_date", "amount", "transfer_id", "issued_at"),
        rows,
    )
    _month_totals_record(
        ISSUED, [(r[1], period, r[3]) for r in rows], complete=inserted == len(rows), now=now
    )
    audit_record(
        actor=actor,
        action="socialincome.month_issue",
        object_type="socialincome.Programme",
        object_id=programme.pk,
        after={
            "period": period_label(period),
            "transfers": len(rows),
            "amount": sum(r[3] for r in rows),
            "first_transfer_id": rows[0][4] if rows else None,
        },
        now=now,
    )


# --- expiry ------------------------------------------------------------------------------------


def expired_through(*, programme: Programme, as_of: date) -> date | None:
    """The latest issued month whose credits have expired by `as_of` (credits of month M
    expire on the first day of M + validity_months)."""
    months = [
        p
        for p in selectors.issued_periods(programme=programme)
        if add_months(p, programme.validity_months) <= as_of
    ]
    return max(months) if months else None


def credits_expire(
    *,
    actor: Any,
    programme: Programme,
    as_of: date,
    now: datetime,
    chunk_size: int = BATCH,
    progress: Progress | None = None,
) -> RunReport:
    """Returns to the programme, by explicit ledger transfers, every wallet's credits of the
    months expired by `as_of` that were not spent (spending uses the oldest credits first; a
    service awaiting confirmation counts as spent). Idempotent per (wallet, month) and
    resumable like month_issue."""
    assert 1 <= chunk_size <= BATCH
    through = expired_through(programme=programme, as_of=as_of)
    report = RunReport(period=period_label(through) if through else "")
    if through is None:
        return report
    wallets = list(
        Wallet.objects.filter(category__programme=programme, issuances__period_date__lte=through)
        .select_related("category")
        .distinct()
        .order_by("pk")
    )
    done = set(
        Expiry.objects.filter(category__programme=programme, through_period_date=through)
        .values_list("wallet_id", flat=True)
        .order_by()
    )
    todo = [w for w in wallets if w.pk not in done]
    report.due = len(wallets)
    report.done_before = len(wallets) - len(todo)
    if progress:
        progress(report.done_before, report.due)
    for start in range(0, len(todo), chunk_size):
        chunk = todo[start : start + chunk_size]
        ids = dict(
            zip(
                [w.pk for w in chunk],
                _sequential_ids(
                    ("expire", programme.pk, period_label(through)),
                    [(w.pk, w.category_id) for w in chunk],
                ),
                strict=True,
            )
        )
        # What a crash left in the ledger is recorded as it is, never recomputed.
        already = ledger_selectors.transfers_get(transfer_ids=list(ids.values()))
        states = ledger_selectors.accounts_get(account_ids=[int(w.account_id) for w in chunk])
        issued = dict(
            Issuance.objects.filter(wallet__in=chunk, period_date__lte=through)
            .values_list("wallet_id")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        amounts: dict[int, int] = {}
        events = []
        for w in chunk:
            tid = ids[w.pk]
            if tid in already:
                amounts[w.pk] = already[tid].amount
                continue
            state = states[int(w.account_id)]
            consumed = state.debits_posted + state.debits_pending
            amount = max(0, issued.get(w.pk, 0) - consumed)
            amounts[w.pk] = amount
            if amount:
                events.append(
                    TransferEvent(
                        id=tid,
                        debit_account_id=int(w.account_id),
                        credit_account_id=int(w.category.fund_account_id),
                        amount=amount,
                        ledger=w.category.ledger,
                        code=TRANSFER_EXPIRE,
                        user_data_32=through.year * 100 + through.month,
                    )
                )
        if events:
            results = ledger.transfers_create(events=events, actor="socialincome", now=now)
            stored = _stored_where_not_ok(events, results)
            wallet_of = {tid: wallet_id for wallet_id, tid in ids.items()}
            for transfer_id, amount in stored.items():
                amounts[wallet_of[transfer_id]] = amount
        rows = [
            (w.pk, w.category_id, through, amounts[w.pk], id_text(ids[w.pk]), now) for w in chunk
        ]
        _expiry_record(actor=actor, programme=programme, through=through, rows=rows, now=now)
        for w in chunk:
            report.amount += amounts[w.pk]
            code = w.category.code
            report.per_category[code] = report.per_category.get(code, 0) + amounts[w.pk]
        report.written += len(rows)
        if progress:
            progress(report.done_before + report.written, report.due)
    return report


@transaction.atomic
def _expiry_record(
    *, actor: Any, programme: Programme, through: date, rows: list[tuple[Any, ...]], now: datetime
) -> None:
    """Records a batch the ledger holds: (wallet id, category id, through period, amount,
    transfer id, expired at) per row, and one audit event for the batch."""
    inserted = _insert_ignoring_existing(
        Expiry._meta.db_table,
        ("wallet_id", "category_id", "through_period_date", "amount", "transfer_id", "expired_at"),
        rows,
    )
    # The open books' month of an expiry: when it was recorded.
    month = _month_of(now)
    _month_totals_record(
        EXPIRED, [(r[1], month, r[3]) for r in rows], complete=inserted == len(rows), now=now
    )
    audit_record(
        actor=actor,
        action="socialincome.credits_expire",
        object_type="socialincome.Programme",
        object_id=programme.pk,
        after={
            "through": period_label(through),
            "wallets": len(rows),
            "amount": sum(r[3] for r in rows),
        },
        now=now,
    )


# --- services delivered ----------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    service: Service
    code: str  # the one-time code the provider gives at the door; shown once, stored hashed


def service_record(
    *,
    actor: Any,
    programme: Programme,
    organization: Any,
    category_code: str,
    cedula: str,
    service_date: date | None,
    hours: object,
    now: datetime,
) -> Recorded:
    """A provider's delegate records a service delivered: a pending ledger transfer of
    hours x rate from the household's wallet to the provider, confirmed or disputed by the
    household (or posted automatically after the programme's window)."""
    if organization is None:
        raise InvalidInput(_("Elija la organización proveedora."), "organization")
    accreditation = selectors.accreditation_for(
        programme=programme, organization_id=organization.pk, category_code=category_code
    )
    if accreditation is None:
        raise NotAccredited(
            _("La organización no está acreditada para esta categoría de servicio."), "category"
        )
    if service_date is None:
        raise InvalidInput(_("Indique la fecha del servicio."), "service_date")
    if service_date > now.date():
        raise InvalidInput(_("La fecha del servicio no puede ser futura."), "service_date")
    if not selectors.accreditation_is_active(accreditation, service_date) or not (
        selectors.accreditation_is_active(accreditation, now.date())
    ):
        raise ProviderInactive(
            _("La acreditación de la organización no está activa: no puede registrar servicios."),
            "organization",
        )
    try:
        hundredths = parse_hours(hours)
    except ValueError as error:
        raise InvalidInput(str(error), "hours") from None
    household = selectors.household_by_cedula(programme=programme, cedula=cedula)
    if household is None:
        raise UnknownBeneficiary(
            _("No hay una persona inscrita con esa cédula en el programa."), "cedula"
        )
    wallet = Wallet.objects.filter(household=household, category=accreditation.category).first()
    rate = selectors.accreditation_rate(accreditation=accreditation, on=service_date)
    amount = service_amount(hundredths, rate)
    if wallet is None:
        raise Overdraft(
            _("El hogar no tiene créditos de esta categoría (saldo 0, requerido %(n)s).")
            % {"n": amount},
            "hours",
        )
    duplicate = Service.objects.filter(
        accreditation=accreditation,
        wallet=wallet,
        service_date=service_date,
        hundredths=hundredths,
    ).exclude(status=ServiceStatus.DISPUTED)
    if duplicate.exists():
        raise DuplicateService(
            _("Este servicio ya está registrado (misma persona, fecha y horas)."), "service_date"
        )
    transfer_id = uuid.uuid4().int
    event = TransferEvent(
        id=transfer_id,
        debit_account_id=int(wallet.account_id),
        credit_account_id=int(accreditation.account_id),
        amount=amount,
        ledger=accreditation.category.ledger,
        code=TRANSFER_SERVICE,
        flags=PENDING,
        user_data_128=derived_id("service", accreditation.pk, wallet.pk, service_date, hundredths),
    )
    [result] = ledger.transfers_create(events=[event], actor="socialincome", now=now)
    if result == "exceeds_credits":
        state = ledger_selectors.account_get(account_id=int(wallet.account_id))
        available = (
            state.credits_posted - state.debits_posted - state.debits_pending if state else 0
        )
        raise Overdraft(
            _("Saldo insuficiente: disponible %(a)s, requerido %(n)s.")
            % {"a": available, "n": amount},
            "hours",
        )
    if result != "ok":
        raise LedgerRefused(f"service: el libro contable respondió {result}")
    code = f"{secrets.randbelow(10**8):08d}"
    try:
        with transaction.atomic():
            service = Service.objects.create(
                accreditation=accreditation,
                wallet=wallet,
                service_date=service_date,
                hundredths=hundredths,
                amount=amount,
                transfer_id=id_text(transfer_id),
                status=ServiceStatus.PENDING,
                code_sha256=selectors.code_sha256(code),
                recorded_by=actor,
                recorded_at=now,
            )
            audit_record(
                actor=actor,
                action="socialincome.service_record",
                object_type="socialincome.Service",
                object_id=service.pk,
                after={
                    "accreditation": accreditation.pk,
                    "wallet": wallet.pk,
                    "service_date": service_date.isoformat(),
                    "hundredths": hundredths,
                    "amount": amount,
                    "transfer_id": id_text(transfer_id),
                },
                now=now,
            )
    except IntegrityError:
        # Recorded twice at the same moment: release the second reservation.
        ledger.transfers_create(
            events=[
                TransferEvent(
                    id=derived_id("void", transfer_id), pending_id=transfer_id, flags=VOID
                )
            ],
            actor="socialincome",
            now=now,
        )
        raise DuplicateService(
            _("Este servicio ya está registrado (misma persona, fecha y horas)."), "service_date"
        ) from None
    return Recorded(service=service, code=code)


def _resolve(*, actor: Any, service: Service, post: bool, status: str, now: datetime) -> Service:
    if service.status != ServiceStatus.PENDING:
        raise ServiceNotPending(
            _("Este servicio ya fue %(status)s.")
            % {"status": service.get_status_display().lower()},
            "service",
        )
    pending_id = int(service.transfer_id)
    resolve_id = derived_id("post" if post else "void", pending_id)
    [result] = ledger.transfers_create(
        events=[TransferEvent(id=resolve_id, pending_id=pending_id, flags=POST if post else VOID)],
        actor="socialincome",
        now=now,
    )
    if result not in SUCCESS:
        raise ServiceNotPending(
            _("El libro contable no pudo resolver el servicio (%(r)s).") % {"r": result},
            "service",
        )
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        assert locked.status == ServiceStatus.PENDING, "a service is resolved once"
        locked.status = status
        locked.resolve_transfer_id = id_text(resolve_id)
        locked.resolved_at = now
        locked.save(update_fields=["status", "resolve_transfer_id", "resolved_at"])
        audit_record(
            actor=actor,
            action=f"socialincome.service_{status}",
            object_type="socialincome.Service",
            object_id=locked.pk,
            before={"status": ServiceStatus.PENDING},
            after={"status": status, "resolve_transfer_id": locked.resolve_transfer_id},
            now=now,
        )
    return locked


def service_confirm(*, actor: Any, service: Service, now: datetime) -> Service:
    """The household confirms: the pending transfer is posted to the provider."""
    if not selectors.accreditation_is_active(service.accreditation, now.date()):
        raise ProviderInactive(
            _("La acreditación del proveedor no está activa: no puede recibir créditos."),
            "service",
        )
    return _resolve(
        actor=actor, service=service, post=True, status=ServiceStatus.CONFIRMED, now=now
    )


def service_dispute(*, actor: Any, service: Service, now: datetime) -> Service:
    """The household disputes: the pending transfer is voided and the credits come back."""
    return _resolve(
        actor=actor, service=service, post=False, status=ServiceStatus.DISPUTED, now=now
    )


def service_resolve_by_code(*, code: str, confirm: bool, now: datetime) -> Service:
    """Confirms or disputes with the one-time code the provider gave at the door."""
    if not code.strip().isdigit() or len(code.strip()) != 8:
        raise CodeInvalid(_("El código tiene 8 dígitos."), "code")
    service = selectors.service_by_code(code=code)
    if service is None:
        raise CodeInvalid(_("El código no corresponde a ningún servicio por confirmar."), "code")
    actor = f"code:{service.pk}"
    if confirm:
        return service_confirm(actor=actor, service=service, now=now)
    return service_dispute(actor=actor, service=service, now=now)


def services_autoconfirm(*, programme: Programme, now: datetime) -> int:
    """Posts the services neither confirmed nor disputed within the programme's window (providers
    no longer active are left pending: they cannot receive credits)."""
    count = 0
    for service in selectors.services_due_for_autoconfirm(programme=programme, now=now):
        service = selectors.service_by_id(service_id=service.pk) or service
        if not selectors.accreditation_is_active(service.accreditation, now.date()):
            continue
        _resolve(
            actor="socialincome",
            service=service,
            post=True,
            status=ServiceStatus.AUTO_CONFIRMED,
            now=now,
        )
        count += 1
    return count


def service_rate(*, actor: Any, service: Service, rating: object, now: datetime) -> Service:
    """After confirming, the household may rate the service from 1 to 5, once."""
    if type(rating) is not int or not 1 <= rating <= 5:
        raise RatingRefused(_("La valoración va de 1 a 5."), "rating")
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        if locked.status not in (ServiceStatus.CONFIRMED, ServiceStatus.AUTO_CONFIRMED):
            raise RatingRefused(_("Solo se valora un servicio confirmado."), "rating")
        if locked.rating is not None:
            raise RatingRefused(_("Este servicio ya fue valorado."), "rating")
        locked.rating = rating
        locked.rated_at = now
        locked.save(update_fields=["rating", "rated_at"])
        audit_record(
            actor=actor,
            action="socialincome.service_rate",
            object_type="socialincome.Service",
            object_id=locked.pk,
            after={"rating": rating},
            now=now,
        )
    return locked


# --- recovery ----------------------------------------------------------------------------------

# A service's pending transfer is followed by its record within the same request; one older
# than this without a record was left by a crash (not by a request still under way).
RECONCILE_GRACE = timedelta(minutes=15)


@dataclass
class ReconcileReport:
    voided: list[selectors.OrphanReservation] = field(default_factory=list)

    @property
    def amount(self) -> int:
        return sum(o.amount for o in self.voided)


def service_reservations_reconcile(
    *, actor: Any, programme: Programme, now: datetime, progress: Progress | None = None
) -> ReconcileReport:
    """Voids the reservations a crash left between a service's pending ledger transfer and its
    Service record (pending service transfers from the programme's wallets to its providers,
    older than RECONCILE_GRACE, that no Service row points to): the credits return to the
    household, as if the service had been disputed. Idempotent: a voided reservation is no
    longer pending, and the void's id is derived from the pending one, so a rerun after a crash
    answers `exists`."""
    orphans = selectors.orphan_service_reservations(
        programme=programme, before=now - RECONCILE_GRACE, progress=progress
    )
    report = ReconcileReport()
    for start in range(0, len(orphans), BATCH):
        chunk = orphans[start : start + BATCH]
        events = [
            TransferEvent(
                id=derived_id("void", o.transfer_id), pending_id=o.transfer_id, flags=VOID
            )
            for o in chunk
        ]
        _ledger_ok(ledger.transfers_create(events=events, actor="socialincome", now=now), "void")
        report.voided.extend(chunk)
    if report.voided:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="socialincome.service_reservations_reconcile",
                object_type="socialincome.Programme",
                object_id=programme.pk,
                after={
                    "voided": [id_text(o.transfer_id) for o in report.voided],
                    "amount": report.amount,
                },
                now=now,
            )
    return report


# --- settlement --------------------------------------------------------------------------------


class MissingBankAccount(SocialIncomeError):
    pass


class SettlementResultRefused(SocialIncomeError):
    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:20]), "file")


def settlement_create(
    *, actor: Any, programme: Programme, until: date, now: datetime
) -> SettlementBatch:
    """Moves each provider's redeemed credits (services confirmed up to `until` and not yet
    settled) out of its ledger account by a pending transfer to the programme's settlement
    account, one per provider and category; the bank's answer posts or voids each one.
    Idempotent and resumable: one batch per (programme, until), transfer ids derived from
    (batch, accreditation)."""
    if until > now.date():
        raise InvalidInput(_("La fecha de corte no puede ser futura."), "until")
    programme_ledgers_ensure(programme=programme, now=now)
    due = list(
        Service.objects.filter(
            accreditation__programme=programme,
            status__in=(ServiceStatus.CONFIRMED, ServiceStatus.AUTO_CONFIRMED),
            resolved_at__date__lte=until,
            settlement__isnull=True,
        )
        .values_list("accreditation_id")
        .annotate(total=Sum("amount"))
        .order_by("accreditation_id")
    )
    accreditations = {
        a.pk: a
        for a in Accreditation.objects.filter(pk__in=[a for a, _t in due]).select_related(
            "organization", "category"
        )
    }
    unpaid = [a for a in accreditations.values() if not a.bank_account]
    if unpaid:
        raise MissingBankAccount(
            _("Falta la cuenta bancaria de %(org)s.") % {"org": unpaid[0].organization.name},
            "bank_account",
        )
    with transaction.atomic():
        batch, created = SettlementBatch.objects.get_or_create(
            programme=programme, until_date=until, defaults={"created_at": now}
        )
        if created:
            audit_record(
                actor=actor,
                action="socialincome.settlement_batch_create",
                object_type="socialincome.SettlementBatch",
                object_id=batch.pk,
                after={"until": until.isoformat()},
                now=now,
            )
    done = set(batch.items.values_list("accreditation_id", flat=True))
    todo = [(accreditations[a], total) for a, total in due if a not in done]
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        events = [
            TransferEvent(
                id=settlement_id(batch.pk, a.pk),
                debit_account_id=int(a.account_id),
                credit_account_id=int(a.category.settlement_account_id),
                amount=total,
                ledger=a.category.ledger,
                code=TRANSFER_SETTLE,
                flags=PENDING,
            )
            for a, total in chunk
        ]
        results = ledger.transfers_create(events=events, actor="socialincome", now=now)
        stored = _stored_where_not_ok(events, results)
        with transaction.atomic():
            for (a, _total), event, result in zip(chunk, events, results, strict=True):
                amount = event.amount if result == "ok" else stored[event.id]
                item = Settlement.objects.create(
                    batch=batch,
                    accreditation=a,
                    amount=amount,
                    amount_minor=amount * programme.settlement_minor_per_unit,
                    transfer_id=id_text(event.id),
                    status=SettlementStatus.PENDING,
                )
                linked = Service.objects.filter(
                    accreditation=a,
                    status__in=(ServiceStatus.CONFIRMED, ServiceStatus.AUTO_CONFIRMED),
                    resolved_at__date__lte=until,
                    settlement__isnull=True,
                ).update(settlement=item)
                assert linked > 0, "a settlement pays for at least one service"
            audit_record(
                actor=actor,
                action="socialincome.settlement_create",
                object_type="socialincome.SettlementBatch",
                object_id=batch.pk,
                after={
                    "settlements": len(chunk),
                    "amount": sum(e.amount for e in events),
                    "first_transfer_id": str(events[0].id),
                },
                now=now,
            )
    return batch


ACCEPTED = {"acsc", "accp", "acsp", "paid", "accepted", "pagado"}
REJECTED = {"rjct", "rejected", "rechazado"}


def settlement_results_import(*, actor: Any, data: bytes, now: datetime) -> dict[str, int]:
    """The bank's answer, a CSV of `id,status` (id: the payment's EndToEndId, which is the
    settlement's ledger transfer id; status: ACSC/paid or RJCT/rejected). All lines are checked
    first, with line-numbered errors, and nothing is applied if one is bad; then each settlement
    is posted (paid) or voided (rejected: the credits return to the provider's account).
    Importing the same answer again changes nothing."""
    errors: list[LineError] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettlementResultRefused([LineError(1, "file", _("no está en UTF-8"))]) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] != ["id", "status"]:
        raise SettlementResultRefused([LineError(1, "header", _("la cabecera es id,status"))])
    answers: list[tuple[int, Settlement, bool]] = []
    seen: set[str] = set()
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        raw_id = cells[0].strip() if cells else ""
        status = cells[1].strip().lower() if len(cells) > 1 else ""
        if not raw_id.isdecimal():
            errors.append(LineError(line, "id", _("no es un identificador de pago")))
            continue
        item = Settlement.objects.filter(transfer_id=id_text(int(raw_id))).first()
        if item is None:
            errors.append(LineError(line, "id", _("no corresponde a ningún pago")))
            continue
        if raw_id in seen:
            errors.append(LineError(line, "id", _("repetido")))
            continue
        seen.add(raw_id)
        if status not in ACCEPTED | REJECTED:
            errors.append(LineError(line, "status", _("estado desconocido %(s)r") % {"s": status}))
            continue
        paid = status in ACCEPTED
        wanted = SettlementStatus.PAID if paid else SettlementStatus.REJECTED
        if item.status not in (SettlementStatus.PENDING, wanted):
            errors.append(LineError(line, "status", _("el pago ya tiene otro resultado")))
            continue
        answers.append((line, item, paid))
    if errors:
        raise SettlementResultRefused(errors)
    todo = [(item, paid) for _line, item, paid in answers if item.status == "pending"]
    counts = {"paid": 0, "rejected": 0, "unchanged": len(answers) - len(todo)}
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        events = [
            TransferEvent(
                id=derived_id("post" if paid else "void", int(item.transfer_id)),
                pending_id=int(item.transfer_id),
                flags=POST if paid else VOID,
            )
            for item, paid in chunk
        ]
        _ledger_ok(ledger.transfers_create(events=events, actor="socialincome", now=now), "settle")
        with transaction.atomic():
            for (item, paid), event in zip(chunk, events, strict=True):
                item.status = SettlementStatus.PAID if paid else SettlementStatus.REJECTED
                item.resolve_transfer_id = id_text(event.id)
                item.resolved_at = now
                item.save(update_fields=["status", "resolve_transfer_id", "resolved_at"])
                if not paid:
                    # Rejected: the services are free to go into a later batch.
                    item.services.update(settlement=None)
                counts["paid" if paid else "rejected"] += 1
            audit_record(
                actor=actor,
                action="socialincome.settlement_results_import",
                object_type="socialincome.Settlement",
                object_id=chunk[0][0].pk,
                after={
                    "paid": sum(1 for _i, p in chunk if p),
                    "rejected": sum(1 for _i, p in chunk if not p),
                },
                now=now,
            )
    return counts


__all__ = [
    "ELIGIBILITY_RULES",
    "BandSpec",
    "CategorySpec",
    "accreditation_create",
    "credits_expire",
    "month_issue",
    "programme_create",
    "registry_import",
    "service_record",
]
