"""Writes of participatory budgeting. Each function runs in one transaction and appends one
audit event in it; the caller passes `now`. A refused write raises a `BudgetingError` naming
the field (or the file line) at fault and changes nothing.

Ballot secrecy: the list of who voted (`VoterRecord`) and the ballot box (`Ballot`) are written
by the same service but share no column, and the audit event of a vote says who voted where,
never what."""

import csv
import hashlib
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from minga.core.identifiers import InvalidIdentifier, normalise
from minga.core.identifiers import validate as validate_identifier
from minga.core.services import audit_record

from . import tally
from .formatting import money_cents
from .models import (
    Ballot,
    BallotKind,
    Budget,
    Category,
    CensusEntry,
    Channel,
    Completion,
    Eligibility,
    ImplementationStatus,
    PaperBatch,
    Phase,
    Process,
    Project,
    ProjectImage,
    ProjectStatus,
    ProjectUpdate,
    Result,
    Rule,
    Satisfaction,
    VoterRecord,
)
from .selectors import (
    access_process_as_official,
    access_territory_as_official,
    ballot_projects,
    ballots_of,
    budget_is_open_to,
    budgets_of,
    category_taken_names,
    census_entry_by_identifier,
    priority_needs_for,
    priority_needs_taken,
    process_phase,
    process_slug_taken,
    receipt_sha256,
    territory_of,
    territory_within,
)

# Amounts are whole currency units (stored in cents), as pabulib files count them: Add1 raises
# every voter's share one currency unit at a time.
UNIT_CENTS = 100
# The largest value the database's 64-bit integer columns hold, on SQLite and PostgreSQL alike:
# the bound of every amount in cents, and of every id.
BIGINT_MAX = 2**63 - 1
MAX_IMAGE_BYTES = 300_000
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
# The identifier scheme of the census by country; other countries add theirs here.
CENSUS_SCHEMES = {"EC": "EC-CEDULA"}
MAX_CSV_BYTES = 20_000_000


class BudgetingError(Exception):
    """A refused write. `field` names the input at fault (a form or API field); `errors` lists
    (line, message) pairs for a refused file."""

    field = ""

    def __init__(
        self, message: str, field: str = "", errors: list[tuple[int, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field or self.field
        self.errors = errors or []


class NotAllowed(BudgetingError):
    """The actor may not do this (not an official of the process's territory)."""


class WrongPhase(BudgetingError):
    """The process is not in the phase this needs."""


class InvalidProcess(BudgetingError):
    pass


class InvalidBudget(BudgetingError):
    pass


class NoPriorityNeeds(BudgetingError):
    """No joint council has declared a priority need that bears on the process's territory."""


class InvalidProposal(BudgetingError):
    pass


class InvalidReview(BudgetingError):
    pass


class CensusImportRefused(BudgetingError):
    field = "file"


class CensusClaimRefused(BudgetingError):
    field = "identifier"


class NotEligible(BudgetingError):
    pass


class BallotInvalid(BudgetingError):
    field = "projects"


class ReceiptInvalid(BudgetingError):
    field = "receipt"


class PaperUploadRefused(BudgetingError):
    field = "file"


class ResultsRefused(BudgetingError):
    pass


class UpdateInvalid(BudgetingError):
    pass


def _money(cents: int) -> str:
    """An amount for a message, with the separators of the language the message is read in."""
    return money_cents(cents)


def _require_official(actor: Any, process: Process, *, now: datetime) -> None:
    if not access_process_as_official(actor, process, at=now):
        raise NotAllowed(
            _("Solo un/a funcionario/a del territorio del proceso puede hacer esto."), field=""
        )


def _require_phase(process: Process, now: datetime, *phases: Phase) -> Phase:
    phase = process_phase(process, at=now)
    if phase not in phases:
        raise WrongPhase(
            _("El proceso está en la fase «%(phase)s»; esto se hace en la fase «%(needed)s».")
            % {"phase": phase.label, "needed": ", ".join(str(p.label) for p in phases)}
        )
    return phase


def _whole_units(cents: int, field: str, error: type[BudgetingError]) -> None:
    if cents <= 0:
        raise error(_("El monto debe ser mayor que cero."), field=field)
    if cents % UNIT_CENTS:
        raise error(_("El monto debe ser en unidades enteras de la moneda."), field=field)


def _process_audit(process: Process) -> dict[str, Any]:
    return {
        "slug": process.slug,
        "title": process.title,
        "territory": process.territory_id,
        "proposals_open_at": process.proposals_open_at.isoformat(),
        "review_open_at": process.review_open_at.isoformat(),
        "voting_open_at": process.voting_open_at.isoformat(),
        "voting_close_at": process.voting_close_at.isoformat(),
        "implementation_open_at": process.implementation_open_at.isoformat(),
        "rule": process.rule,
        "satisfaction": process.satisfaction,
        "completion": process.completion,
        "ballot_kind": process.ballot_kind,
        "min_projects": process.min_projects,
        "max_projects": process.max_projects,
        "eligibility": process.eligibility,
    }


# --- processes, budgets, categories -----------------------------------------------------------


@transaction.atomic
def process_create(
    *,
    actor: Any,
    territory: Any,
    slug: str,
    title: str,
    description: str = "",
    currency: str = "USD",
    proposals_open_at: datetime,
    review_open_at: datetime,
    voting_open_at: datetime,
    voting_close_at: datetime,
    implementation_open_at: datetime,
    rule: str = Rule.MES,
    satisfaction: str = Satisfaction.COST,
    completion: str = Completion.ADD1,
    ballot_kind: str = BallotKind.APPROVAL,
    min_projects: int = 1,
    max_projects: int | None = None,
    eligibility: str = Eligibility.OWN_TERRITORY,
    now: datetime,
) -> Process:
    """Opens a process for a territory. Defaults are those of the cities that use the Method of
    Equal Shares: cost satisfaction, completed with Add1."""
    if not access_territory_as_official(actor, territory, at=now):
        raise NotAllowed(_("Solo un/a funcionario/a del territorio puede abrir un proceso en él."))
    title, slug = title.strip(), slug.strip()
    if not title:
        raise InvalidProcess(_("El título es obligatorio."), field="title")
    if not slug or not all(c.isascii() and (c.isalnum() or c in "-_") for c in slug):
        raise InvalidProcess(
            _("El identificador solo admite letras, dígitos, guiones y guiones bajos."),
            field="slug",
        )
    if process_slug_taken(slug=slug):
        raise InvalidProcess(_("Ya existe un proceso «%(slug)s».") % {"slug": slug}, field="slug")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise InvalidProcess(_("La moneda es un código ISO 4217 de tres letras."), field="currency")
    order = [
        ("review_open_at", proposals_open_at, review_open_at),
        ("voting_open_at", review_open_at, voting_open_at),
        ("voting_close_at", voting_open_at, voting_close_at),
    ]
    for field, earlier, later in order:
        if later <= earlier:
            raise InvalidProcess(
                _("Las fases deben seguirse en orden: esta fecha es anterior a la fase previa."),
                field=field,
            )
    if implementation_open_at < voting_close_at:
        raise InvalidProcess(
            _("La ejecución no puede empezar antes del cierre de la votación."),
            field="implementation_open_at",
        )
    for field, value, choices in [
        ("rule", rule, Rule),
        ("satisfaction", satisfaction, Satisfaction),
        ("completion", completion, Completion),
        ("ballot_kind", ballot_kind, BallotKind),
        ("eligibility", eligibility, Eligibility),
    ]:
        if value not in choices.values:
            raise InvalidProcess(_("Valor desconocido: «%(v)s».") % {"v": value}, field=field)
    if rule == Rule.GREEDY and completion != Completion.NONE:
        raise InvalidProcess(
            _("Las reglas de completado solo se aplican al Método de Partes Iguales."),
            field="completion",
        )
    if min_projects < 0:
        raise InvalidProcess(_("El mínimo no puede ser negativo."), field="min_projects")
    if max_projects is not None and max_projects < max(min_projects, 1):
        raise InvalidProcess(
            _("El máximo de proyectos debe ser al menos el mínimo (y al menos 1)."),
            field="max_projects",
        )
    process = Process.objects.create(
        slug=slug,
        title=title,
        description=description.strip(),
        territory=territory,
        currency=currency,
        proposals_open_at=proposals_open_at,
        review_open_at=review_open_at,
        voting_open_at=voting_open_at,
        voting_close_at=voting_close_at,
        implementation_open_at=implementation_open_at,
        rule=rule,
        satisfaction=satisfaction,
        completion=completion,
        ballot_kind=ballot_kind,
        min_projects=min_projects,
        max_projects=max_projects,
        eligibility=eligibility,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        updated_at=now,
    )
    audit_record(
        actor=actor,
        action="budgeting.process.create",
        object_type="budgeting.Process",
        object_id=process.pk,
        after=_process_audit(process),
        now=now,
    )
    return process


@transaction.atomic
def budget_create(
    *, actor: Any, process: Process, territory: Any, name: str, amount_cents: int, now: datetime
) -> Budget:
    """Adds a budget for a part of the process's territory (before voting opens)."""
    _require_official(actor, process, now=now)
    _require_phase(process, now, Phase.UPCOMING, Phase.PROPOSALS, Phase.REVIEW)
    name = name.strip()
    if not name:
        raise InvalidBudget(_("El nombre es obligatorio."), field="name")
    if not territory_within(territory, process.territory):
        raise InvalidBudget(
            _("El territorio del presupuesto debe estar dentro del territorio del proceso."),
            field="territory",
        )
    _whole_units(amount_cents, "amount_cents", InvalidBudget)
    if process.budgets.filter(territory=territory).exists():
        raise InvalidBudget(
            _("Este proceso ya tiene un presupuesto para ese territorio."), field="territory"
        )
    budget = Budget.objects.create(
        process=process, territory=territory, name=name, amount_cents=amount_cents
    )
    audit_record(
        actor=actor,
        action="budgeting.budget.create",
        object_type="budgeting.Budget",
        object_id=budget.pk,
        after={
            "process": process.slug,
            "territory": territory.pk,
            "name": name,
            "amount_cents": amount_cents,
        },
        now=now,
    )
    return budget


@transaction.atomic
def category_create(*, actor: Any, process: Process, name: str, now: datetime) -> Category:
    _require_official(actor, process, now=now)
    name = name.strip()
    if not name:
        raise InvalidProcess(_("El nombre de la categoría es obligatorio."), field="name")
    if process.categories.filter(name__iexact=name).exists():
        raise InvalidProcess(_("Ya existe la categoría «%(name)s».") % {"name": name}, field="name")
    category = Category.objects.create(process=process, name=name)
    audit_record(
        actor=actor,
        action="budgeting.category.create",
        object_type="budgeting.Category",
        object_id=category.pk,
        after={"process": process.slug, "name": name},
        now=now,
    )
    return category


CATEGORY_NAME_MAX = 100


def _category_name_for(decision: Any, taken: set[str]) -> str:
    """The name of a category taken from a priority need: its service category and territory,
    "Agua y saneamiento — Apuela". Names are data, so they are written in the platform's
    language (settings.LANGUAGE_CODE), whoever takes them. A name already in use gets the
    need's publication date, then the decision's number, so that every need keeps its own
    category."""
    with translation.override(settings.LANGUAGE_CODE):
        label = str(decision.get_service_category_display())
    # No ";" in a name: it separates the fields of the published pabulib file.
    base = f"{label} — {decision.territory.name}".replace(";", ",")
    day = decision.published_at.date().isoformat()
    suffixes = ["", f" ({day})", f" ({day}, {decision.pk})"]
    for suffix in suffixes:
        name = base[: CATEGORY_NAME_MAX - len(suffix)] + suffix
        if name.casefold() not in taken:
            return name
    raise AssertionError("a decision's number makes its category's name unique")


@transaction.atomic
def priority_needs_take(*, actor: Any, process: Process, now: datetime) -> list[Category]:
    """Adds a category for every priority need that the joint councils had published by `now`
    for the process's territory, a territory inside it or one containing it, and that the
    process has not taken yet. Each category keeps its council decision as its source. Taking
    them again adds nothing (and returns no category); categories are for proposals, so this is
    done before the proposals phase ends."""
    _require_official(actor, process, now=now)
    _require_phase(process, now, Phase.UPCOMING, Phase.PROPOSALS)
    # One taker at a time per process: the check of what is taken and the inserts go together
    # (the unique constraint pb_category_one_per_need is the backstop).
    Process.objects.select_for_update().filter(pk=process.pk).first()
    needs = priority_needs_for(process, at=now)
    if not needs:
        raise NoPriorityNeeds(
            _(
                "Ningún consejo paritario ha declarado necesidades prioritarias para "
                "%(territory)s o sus parroquias."
            )
            % {"territory": process.territory.name}
        )
    taken = priority_needs_taken(process)
    names = category_taken_names(process)
    created = []
    for decision in needs:
        if decision.pk in taken:
            continue
        name = _category_name_for(decision, names)
        names.add(name.casefold())
        created.append(
            Category.objects.create(process=process, name=name, source_decision=decision)
        )
    if created:
        audit_record(
            actor=actor,
            action="budgeting.category.take_priority_needs",
            object_type="budgeting.Process",
            object_id=process.pk,
            after={
                "process": process.slug,
                "categories": [
                    {"id": c.pk, "name": c.name, "decision": c.source_decision_id} for c in created
                ],
            },
            now=now,
        )
    return created


# --- proposals and their review ---------------------------------------------------------------


@dataclass(frozen=True)
class ImageUpload:
    data: bytes
    alt_text: str


def _image_type(image: ImageUpload) -> str:
    if len(image.data) > MAX_IMAGE_BYTES:
        raise InvalidProposal(
            _("La imagen pesa más de %(kb)d kB.") % {"kb": MAX_IMAGE_BYTES // 1000}, field="image"
        )
    for signature, content_type in IMAGE_SIGNATURES.items():
        if image.data.startswith(signature):
            if not image.alt_text.strip():
                raise InvalidProposal(
                    _("Describa la imagen para quien no puede verla."), field="image_alt"
                )
            return content_type
    raise InvalidProposal(_("La imagen debe ser PNG o JPEG."), field="image")


@transaction.atomic
def project_propose(
    *,
    actor: Any,
    process: Process,
    budget: Budget,
    title: str,
    description: str,
    estimated_cost_cents: int,
    location: Any,
    category: Category,
    image: ImageUpload | None = None,
    now: datetime,
) -> Project:
    """A resident's proposal, during the proposals phase."""
    if not getattr(actor, "is_authenticated", False):
        raise NotAllowed(_("Ingrese para proponer un proyecto."))
    _require_phase(process, now, Phase.PROPOSALS)
    if budget.process_id != process.pk:
        raise InvalidProposal(_("Ese presupuesto no es de este proceso."), field="budget")
    title, description = title.strip(), description.strip()
    if not title:
        raise InvalidProposal(_("El título es obligatorio."), field="title")
    if len(title) > 200:
        raise InvalidProposal(_("El título tiene más de 200 caracteres."), field="title")
    if not description:
        raise InvalidProposal(_("La descripción es obligatoria."), field="description")
    _whole_units(estimated_cost_cents, "estimated_cost", InvalidProposal)
    if estimated_cost_cents > budget.amount_cents:
        raise InvalidProposal(
            _("El costo estimado supera el presupuesto (%(amount)s).")
            % {"amount": _money(budget.amount_cents)},
            field="estimated_cost",
        )
    if not territory_within(location, budget.territory):
        raise InvalidProposal(
            _("La ubicación debe estar dentro del territorio del presupuesto (%(name)s).")
            % {"name": budget.territory.name},
            field="location",
        )
    if category.process_id != process.pk:
        raise InvalidProposal(_("Esa categoría no es de este proceso."), field="category")
    content_type = _image_type(image) if image is not None else ""
    project = Project.objects.create(
        process=process,
        budget=budget,
        title=title,
        description=description,
        estimated_cost_cents=estimated_cost_cents,
        location=location,
        category=category,
        author=actor,
        submitted_at=now,
    )
    if image is not None:
        ProjectImage.objects.create(
            project=project,
            content_type=content_type,
            data=image.data,
            alt_text=image.alt_text.strip(),
        )
    audit_record(
        actor=actor,
        action="budgeting.project.propose",
        object_type="budgeting.Project",
        object_id=project.pk,
        after={
            "process": process.slug,
            "budget": budget.pk,
            "title": title,
            "estimated_cost_cents": estimated_cost_cents,
            "location": location.pk,
            "category": category.name,
            "image": hashlib.sha256(image.data).hexdigest() if image else None,
        },
        now=now,
    )
    return project


@transaction.atomic
def project_review(
    *,
    actor: Any,
    project: Project,
    feasible: bool,
    reason: str,
    adjusted_cost_cents: int | None = None,
    now: datetime,
) -> Project:
    """An official's technical review: feasible or not, with a written reason and, if needed,
    an adjusted cost. Allowed until voting opens; a review may be revised in that time."""
    process = project.process
    _require_official(actor, process, now=now)
    _require_phase(process, now, Phase.PROPOSALS, Phase.REVIEW)
    reason = reason.strip()
    if not reason:
        raise InvalidReview(_("Escriba el motivo de la decisión."), field="reason")
    if adjusted_cost_cents is not None:
        _whole_units(adjusted_cost_cents, "adjusted_cost", InvalidReview)
        if adjusted_cost_cents > project.budget.amount_cents:
            raise InvalidReview(
                _("El costo ajustado supera el presupuesto (%(amount)s).")
                % {"amount": _money(project.budget.amount_cents)},
                field="adjusted_cost",
            )
    locked = Project.objects.select_for_update().get(pk=project.pk)
    before = {
        "status": locked.status,
        "review_reason": locked.review_reason,
        "adjusted_cost_cents": locked.adjusted_cost_cents,
    }
    locked.status = ProjectStatus.FEASIBLE if feasible else ProjectStatus.UNFEASIBLE
    locked.review_reason = reason
    locked.adjusted_cost_cents = adjusted_cost_cents
    locked.reviewed_by = actor
    locked.reviewed_at = now
    locked.save(
        update_fields=[
            "status",
            "review_reason",
            "adjusted_cost_cents",
            "reviewed_by",
            "reviewed_at",
        ]
    )
    audit_record(
        actor=actor,
        action="budgeting.project.review",
        object_type="budgeting.Project",
        object_id=locked.pk,
        before=before,
        after={
            "status": locked.status,
            "review_reason": reason,
            "adjusted_cost_cents": adjusted_cost_cents,
        },
        now=now,
    )
    return locked


# --- the census -------------------------------------------------------------------------------


def csv_upload_text(upload: Any) -> str:
    """An uploaded CSV file (the pages' form and the API) as text: refused, on line 1, when it is
    larger than the services read or not UTF-8, before anything is read into memory or done."""
    if upload.size is not None and upload.size > MAX_CSV_BYTES:
        raise BudgetingError(
            _("El archivo es demasiado grande."), "file", [(1, _("archivo demasiado grande"))]
        )
    try:
        return str(upload.read().decode("utf-8"))
    except UnicodeDecodeError:
        message = _("El archivo debe estar en UTF-8.")
        raise BudgetingError(message, "file", [(1, message)]) from None


def _read_csv(text: str, required: list[str], error: type[BudgetingError]) -> list[dict[str, str]]:
    if len(text) > MAX_CSV_BYTES:
        raise error(
            _("El archivo es demasiado grande."), errors=[(1, _("archivo demasiado grande"))]
        )
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    # Spreadsheets set to Spanish save CSV with semicolons: accept either separator.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        message = _("faltan las columnas %(cols)s (se esperan: %(all)s).") % {
            "cols": ", ".join(missing),
            "all": ", ".join(required),
        }
        raise error(_("línea %(n)d: %(msg)s") % {"n": 1, "msg": message}, errors=[(1, message)])
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:
            rows.append({"__extra__": "1"})
        else:
            rows.append({k: (v or "").strip() for k, v in row.items()})
    return rows


def _refuse_lines(error: type[BudgetingError], errors: list[tuple[int, str]]) -> None:
    if errors:
        shown = "\n".join(_("línea %(n)d: %(msg)s") % {"n": n, "msg": m} for n, m in errors[:50])
        more = len(errors) - 50
        if more > 0:
            shown += "\n" + _("… y %(n)d errores más.") % {"n": more}
        raise error(_("No se guardó nada: el archivo tiene errores.") + "\n" + shown, errors=errors)


@transaction.atomic
def census_import(*, actor: Any, process: Process, csv_text: str, now: datetime) -> int:
    """Imports the list of eligible residents: a CSV with the columns `cedula` and `parroquia`
    (the official code of the territory where the person lives, inside the process's
    territory). Every line is checked first; if any is bad, nothing is imported and every error
    is reported with its line number. Importing the same list again adds nothing; returns the
    number of entries added."""
    _require_official(actor, process, now=now)
    _require_phase(process, now, Phase.UPCOMING, Phase.PROPOSALS, Phase.REVIEW, Phase.VOTING)
    scheme = CENSUS_SCHEMES.get(process.territory.country_code)
    rows = _read_csv(csv_text, ["cedula", "parroquia"], CensusImportRefused)
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    existing = dict(process.census.values_list("identifier", "territory_id"))
    territories: dict[str, Any] = {}
    new: list[tuple[str, Any]] = []
    for index, row in enumerate(rows, start=2):
        if "__extra__" in row:
            errors.append((index, _("la línea tiene más columnas que el encabezado.")))
            continue
        raw, code = row.get("cedula", ""), row.get("parroquia", "")
        try:
            identifier = (
                validate_identifier(scheme, raw, field="cedula") if scheme else normalise(raw)
            )
        except InvalidIdentifier as exc:
            errors.append((index, f"cedula: {exc.reason}"))
            continue
        if not identifier:
            errors.append((index, _("cedula: está vacía.")))
            continue
        if identifier in seen:
            errors.append(
                (
                    index,
                    _("la cédula %(id)s ya está en la línea %(line)d.")
                    % {"id": identifier, "line": seen[identifier]},
                )
            )
            continue
        seen[identifier] = index
        if code not in territories:
            territories[code] = territory_of(country_code=process.territory.country_code, code=code)
        territory = territories[code]
        if territory is None:
            errors.append(
                (index, _("parroquia: no existe el territorio «%(code)s».") % {"code": code})
            )
            continue
        if not territory_within(territory, process.territory):
            errors.append(
                (
                    index,
                    _("parroquia: «%(code)s» no está dentro de %(name)s.")
                    % {"code": code, "name": process.territory.name},
                )
            )
            continue
        if identifier in existing:
            if existing[identifier] != territory.pk:
                errors.append(
                    (
                        index,
                        _("la cédula %(id)s ya está en el censo con otra parroquia.")
                        % {"id": identifier},
                    )
                )
            continue
        new.append((identifier, territory))
    if not rows:
        errors.append((1, _("el archivo no tiene filas de datos.")))
    _refuse_lines(CensusImportRefused, errors)
    CensusEntry.objects.bulk_create(
        [CensusEntry(process=process, identifier=i, territory=t, imported_at=now) for i, t in new]
    )
    audit_record(
        actor=actor,
        action="budgeting.census.import",
        object_type="budgeting.Process",
        object_id=process.pk,
        # Counts only: the census is personal data and the audit log is exportable.
        after={"rows": len(rows), "added": len(new), "size": len(existing) + len(new)},
        now=now,
    )
    return len(new)


@transaction.atomic
def census_claim(*, actor: Any, process: Process, identifier: str, now: datetime) -> CensusEntry:
    """A resident's account claims its census entry by giving its cédula. An entry is claimed by
    one account only, and an account claims one entry per process."""
    if not getattr(actor, "is_authenticated", False):
        raise NotAllowed(_("Ingrese para votar."))
    _require_phase(process, now, Phase.PROPOSALS, Phase.REVIEW, Phase.VOTING)
    scheme = CENSUS_SCHEMES.get(process.territory.country_code)
    try:
        value = (
            validate_identifier(scheme, identifier, field="identifier")
            if scheme
            else normalise(identifier)
        )
    except InvalidIdentifier as exc:
        raise CensusClaimRefused(_("Cédula: %(reason)s") % {"reason": exc.reason}) from exc
    if process.census.filter(user=actor).exists():
        raise CensusClaimRefused(_("Su cuenta ya está verificada en este proceso."))
    entry = census_entry_by_identifier(process, identifier=value)
    if entry is None:
        raise CensusClaimRefused(_("Esa cédula no está en el censo de este proceso."))
    entry = CensusEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.user_id is not None:
        raise CensusClaimRefused(
            _("Esa cédula ya fue verificada por otra cuenta. Acuda a la oficina del proceso.")
        )
    entry.user = actor
    entry.save(update_fields=["user"])
    audit_record(
        actor=actor,
        action="budgeting.census.claim",
        object_type="budgeting.CensusEntry",
        object_id=entry.pk,
        after={"process": process.slug},
        now=now,
    )
    return entry


# --- ballots ----------------------------------------------------------------------------------


def _new_receipt() -> tuple[str, str]:
    """A receipt code the voter keeps (10 random bytes, in groups of four hex digits) and its hash,
    the only thing the ballot box stores."""
    raw = secrets.token_hex(10).upper()
    code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    return code, receipt_sha256(code)


def _check_selection(budget: Budget, project_ids: Iterable[int]) -> list[Project]:
    process = budget.process
    wanted = list(project_ids)
    if len(set(wanted)) != len(wanted):
        raise BallotInvalid(_("Un proyecto aparece dos veces en la papeleta."))
    on_ballot = {p.pk: p for p in ballot_projects(budget)}
    unknown = [pid for pid in wanted if pid not in on_ballot]
    if unknown:
        raise BallotInvalid(
            _("El proyecto %(id)s no está en la papeleta de %(budget)s.")
            % {"id": unknown[0], "budget": budget.name}
        )
    chosen = [on_ballot[pid] for pid in wanted]
    if len(chosen) < process.min_projects:
        raise BallotInvalid(_("Elija al menos %(n)d proyecto(s).") % {"n": process.min_projects})
    if process.max_projects is not None and len(chosen) > process.max_projects:
        raise BallotInvalid(_("Elija como máximo %(n)d proyecto(s).") % {"n": process.max_projects})
    total = sum(p.cost_cents for p in chosen)
    if process.ballot_kind == BallotKind.KNAPSACK and total > budget.amount_cents:
        raise BallotInvalid(
            _("Su selección cuesta %(total)s y supera el presupuesto de %(amount)s.")
            % {"total": _money(total), "amount": _money(budget.amount_cents)}
        )
    return chosen


@transaction.atomic
def ballot_cast(
    *,
    actor: Any,
    entry: CensusEntry,
    budget: Budget,
    project_ids: Iterable[int],
    receipt: str = "",
    now: datetime,
) -> str:
    """Casts or changes an online ballot. A first ballot returns a new receipt code; changing a
    ballot needs the receipt code of the first one (it is the only way back to the ballot, since
    nothing links the voter to it) and returns the same code."""
    process = budget.process
    _require_phase(process, now, Phase.VOTING)
    if entry.user_id is None or entry.user_id != getattr(actor, "pk", None):
        raise NotEligible(_("Verifique su cédula antes de votar."), field="identifier")
    if not budget_is_open_to(budget, entry=entry):
        raise NotEligible(
            _("Usted no puede votar en el presupuesto de %(name)s.") % {"name": budget.name},
            field="budget",
        )
    chosen = _check_selection(budget, project_ids)
    record = (
        VoterRecord.objects.select_for_update().filter(budget=budget, census_entry=entry).first()
    )
    if record is None:
        receipt, digest = _new_receipt()
        VoterRecord.objects.create(
            budget=budget, census_entry=entry, channel=Channel.ONLINE, voted_at=now
        )
        ballot = Ballot.objects.create(budget=budget, receipt_sha256=digest, channel=Channel.ONLINE)
        action = "budgeting.ballot.cast"
    else:
        if record.channel == Channel.PAPER:
            raise BallotInvalid(
                _("Usted ya votó en papel; ese voto no se puede cambiar en línea."), field=""
            )
        found = (
            Ballot.objects.select_for_update()
            .filter(budget=budget, receipt_sha256=receipt_sha256(receipt), channel=Channel.ONLINE)
            .first()
            if receipt.strip()
            else None
        )
        if found is None:
            raise ReceiptInvalid(
                _("Para cambiar su voto, escriba el código de comprobante que recibió al votar.")
            )
        ballot = found
        receipt = receipt.strip()
        record.voted_at = now
        record.save(update_fields=["voted_at"])
        action = "budgeting.ballot.change"
    ballot.projects.set(chosen)
    audit_record(
        actor=actor,
        action=action,
        object_type="budgeting.VoterRecord",
        object_id=f"{budget.pk}:{entry.pk}",
        # Who voted where, never what: the audit log must not undo ballot secrecy.
        after={"process": process.slug, "budget": budget.pk},
        now=now,
    )
    return receipt


@transaction.atomic
def paper_ballots_upload(
    *, actor: Any, process: Process, csv_text: str, filename: str, now: datetime
) -> PaperBatch:
    """Records paper ballots from a CSV with columns `cedula`, `presupuesto` (the budget's
    territory code) and `proyectos` (project numbers separated by `;`). Each line marks the
    person as having voted and puts an anonymous ballot in the box; the file itself is not
    kept. All lines are checked first: one bad line and nothing is recorded."""
    _require_official(actor, process, now=now)
    _require_phase(process, now, Phase.VOTING, Phase.RESULTS, Phase.IMPLEMENTATION)
    if process.results_published_at is not None:
        raise PaperUploadRefused(_("Los resultados ya se publicaron."), field="")
    rows = _read_csv(csv_text, ["cedula", "presupuesto", "proyectos"], PaperUploadRefused)
    budgets = {b.territory.code: b for b in budgets_of(process)}
    scheme = CENSUS_SCHEMES.get(process.territory.country_code)
    errors: list[tuple[int, str]] = []
    accepted: list[tuple[CensusEntry, Budget, list[Project]]] = []
    seen: dict[tuple[str, int], int] = {}
    for index, row in enumerate(rows, start=2):
        if "__extra__" in row:
            errors.append((index, _("la línea tiene más columnas que el encabezado.")))
            continue
        try:
            identifier = (
                validate_identifier(scheme, row["cedula"], field="cedula")
                if scheme
                else normalise(row["cedula"])
            )
        except InvalidIdentifier as exc:
            errors.append((index, f"cedula: {exc.reason}"))
            continue
        entry = census_entry_by_identifier(process, identifier=identifier)
        if entry is None:
            errors.append((index, _("cedula: %(id)s no está en el censo.") % {"id": identifier}))
            continue
        budget = budgets.get(row["presupuesto"])
        if budget is None:
            errors.append(
                (
                    index,
                    _("presupuesto: no hay un presupuesto «%(code)s» en este proceso.")
                    % {"code": row["presupuesto"]},
                )
            )
            continue
        if not budget_is_open_to(budget, entry=entry):
            errors.append(
                (
                    index,
                    _("cedula: %(id)s no puede votar en %(name)s.")
                    % {"id": identifier, "name": budget.name},
                )
            )
            continue
        key = (identifier, budget.pk)
        if key in seen:
            errors.append(
                (
                    index,
                    _("cedula: %(id)s ya votó en la línea %(line)d.")
                    % {"id": identifier, "line": seen[key]},
                )
            )
            continue
        seen[key] = index
        if VoterRecord.objects.filter(budget=budget, census_entry=entry).exists():
            errors.append((index, _("cedula: %(id)s ya votó.") % {"id": identifier}))
            continue
        try:
            ids = [int(p) for p in row["proyectos"].replace(",", ";").split(";") if p.strip()]
        except ValueError:
            errors.append((index, _("proyectos: escriba números de proyecto separados por «;».")))
            continue
        try:
            chosen = _check_selection(budget, ids)
        except BallotInvalid as exc:
            errors.append((index, f"proyectos: {exc.message}"))
            continue
        accepted.append((entry, budget, chosen))
    if not rows:
        errors.append((1, _("el archivo no tiene filas de datos.")))
    _refuse_lines(PaperUploadRefused, errors)
    # Shuffled, so that not even the order of creation follows the file's order of voters.
    secrets.SystemRandom().shuffle(accepted)
    for entry, budget, chosen in accepted:
        VoterRecord.objects.create(
            budget=budget, census_entry=entry, channel=Channel.PAPER, voted_at=now
        )
        _code, digest = _new_receipt()
        ballot = Ballot.objects.create(budget=budget, receipt_sha256=digest, channel=Channel.PAPER)
        ballot.projects.set(chosen)
    batch = PaperBatch.objects.create(
        process=process,
        uploaded_by=actor,
        uploaded_at=now,
        filename=filename[:200],
        file_sha256=hashlib.sha256(csv_text.encode("utf-8")).hexdigest(),
        ballots_count=len(accepted),
    )
    audit_record(
        actor=actor,
        action="budgeting.paper.upload",
        object_type="budgeting.PaperBatch",
        object_id=batch.pk,
        after={
            "process": process.slug,
            "filename": batch.filename,
            "sha256": batch.file_sha256,
            "ballots": len(accepted),
        },
        now=now,
    )
    return batch


# --- results ----------------------------------------------------------------------------------


@transaction.atomic
def results_compute(*, actor: Any, process: Process, now: datetime) -> list[Result]:
    """Closes the box and publishes, for every budget, the outcome of the process's rule, every
    project's explanation, the greedy outcome beside it, and the anonymised ballots as a
    pabulib file. The selection stored is the recount of that very file."""
    _require_official(actor, process, now=now)
    _require_phase(process, now, Phase.RESULTS, Phase.IMPLEMENTATION)
    locked = Process.objects.select_for_update().get(pk=process.pk)
    if locked.results_published_at is not None:
        raise ResultsRefused(_("Los resultados de este proceso ya se publicaron."))
    results = []
    for budget in budgets_of(locked):
        projects = ballot_projects(budget)
        ballots = ballots_of(budget)
        outcome = tally.tally_budget(
            process=locked, budget=budget, projects=projects, ballots=ballots
        )
        selected_ids = {int(pid) for pid in outcome.selected}
        assert sum(p.cost_cents for p in projects if p.pk in selected_ids) <= budget.amount_cents
        Project.objects.filter(pk__in=selected_ids).update(selected=True)
        results.append(
            Result.objects.create(
                budget=budget,
                rule=locked.rule,
                satisfaction=locked.satisfaction,
                completion=locked.completion,
                selected=outcome.selected,
                greedy_selected=outcome.greedy_selected,
                explanations=outcome.explanations,
                cost_cents=outcome.cost_cents,
                voters=len(ballots),
                pb_file=outcome.pb_file,
                pb_sha256=hashlib.sha256(outcome.pb_file.encode("utf-8")).hexdigest(),
                computed_at=now,
            )
        )
    locked.results_published_at = now
    locked.updated_at = now
    locked.save(update_fields=["results_published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="budgeting.results.publish",
        object_type="budgeting.Process",
        object_id=locked.pk,
        after={
            str(r.budget_id): {"selected": r.selected, "pb_sha256": r.pb_sha256} for r in results
        },
        now=now,
    )
    return results


# --- implementation ---------------------------------------------------------------------------


@transaction.atomic
def project_update_record(
    *,
    actor: Any,
    project: Project,
    update_date: date,
    status: str,
    progress_percent: int,
    spent_cents: int,
    note: str,
    now: datetime,
) -> ProjectUpdate:
    """An official's dated report on a funded project; the project takes the latest state."""
    process = project.process
    _require_official(actor, process, now=now)
    if not project.selected:
        raise UpdateInvalid(_("Solo se da seguimiento a los proyectos seleccionados."), field="")
    if status not in ImplementationStatus.values:
        raise UpdateInvalid(_("Estado desconocido: «%(s)s».") % {"s": status}, field="status")
    if not 0 <= progress_percent <= 100:
        raise UpdateInvalid(_("El avance va de 0 a 100 %."), field="progress_percent")
    if status == ImplementationStatus.COMPLETED and progress_percent != 100:
        raise UpdateInvalid(
            _("Un proyecto terminado tiene un avance del 100 %."), field="progress_percent"
        )
    if spent_cents < 0:
        raise UpdateInvalid(_("El gasto no puede ser negativo."), field="spent")
    if update_date > now.date():
        raise UpdateInvalid(_("La fecha no puede estar en el futuro."), field="update_date")
    if update_date < process.voting_close_at.date():
        raise UpdateInvalid(
            _("La fecha no puede ser anterior al cierre de la votación."), field="update_date"
        )
    note = note.strip()
    if not note:
        raise UpdateInvalid(_("Escriba una nota sobre el avance."), field="note")
    locked = Project.objects.select_for_update().get(pk=project.pk)
    latest = locked.updates.order_by("-update_date", "-id").first()
    if latest is not None and update_date < latest.update_date:
        raise UpdateInvalid(
            _("Ya hay un informe del %(date)s: las fechas deben avanzar.")
            % {"date": latest.update_date.isoformat()},
            field="update_date",
        )
    before = {
        "implementation_status": locked.implementation_status,
        "progress_percent": locked.progress_percent,
        "spent_cents": locked.spent_cents,
    }
    update = ProjectUpdate.objects.create(
        project=locked,
        update_date=update_date,
        status=status,
        progress_percent=progress_percent,
        spent_cents=spent_cents,
        note=note,
        author=actor,
        recorded_at=now,
    )
    locked.implementation_status = status
    locked.progress_percent = progress_percent
    locked.spent_cents = spent_cents
    locked.save(update_fields=["implementation_status", "progress_percent", "spent_cents"])
    audit_record(
        actor=actor,
        action="budgeting.project.update",
        object_type="budgeting.Project",
        object_id=locked.pk,
        before=before,
        after={
            "implementation_status": status,
            "progress_percent": progress_percent,
            "spent_cents": spent_cents,
            "update_date": update_date.isoformat(),
        },
        now=now,
    )
    return update
