"""The participatory-budgeting API (/api/v1/budgeting/): public reads of processes, projects,
categories (with the councils' priority needs they answer), results with their explanations (in
the request's language), the published ballots as pabulib files, and the check of a receipt
code. Writes for residents: proposing a project, claiming one's census entry, casting and
changing a ballot. Writes for officials of the process's territory: taking categories from the
councils' priority needs, reviewing proposals, importing the census and uploading paper ballots
(CSV files, all or nothing, every bad line in the answer), publishing the results and recording
the progress of funded projects. Every write calls one service; a refusal is a 4xx naming the
field at fault and changes nothing."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Router, Schema, Status, UploadedFile
from pydantic import Field

from minga.accounts.auth import TokenAuth, session_auth
from minga.apierrors import FieldError
from minga.core.roles import Role

from . import services
from .formatting import explanation_out
from .models import Budget, Process, Project
from .selectors import (
    access_process_as_official,
    budget_of,
    budgets_of,
    budgets_open_to,
    categories_of,
    category_of,
    census_entry_of_user,
    census_size,
    process_by_slug,
    process_phase,
    processes_all,
    project_by_id,
    projects_of,
    receipt_lookup,
    result_of,
    territory_of,
    turnout,
    votes_per_project,
)
from .tally import tally_command

router = Router(tags=["budgeting"])
# Writes need a signed-in session or an API token, and the rights of the pages (an official of
# the process's territory).
writer = [TokenAuth([Role.OFFICIAL, Role.ADMINISTRATOR]), session_auth]
# A resident's writes (proposing, claiming a census entry, voting) need a resident's API token or
# a signed-in session, as the pages need a signed-in account; the census entry a resident claims
# is what makes them a voter.
resident = [TokenAuth([Role.RESIDENT]), session_auth]

# A database id: anything beyond a 63-bit integer cannot exist (and would overflow PostgreSQL's
# bigint before the lookup could say so).
Id = Annotated[int, Field(gt=0, le=services.BIGINT_MAX)]
# Amounts in cents, bounded by what a bigint column holds; the services check the rest (whole
# currency units, within the budget, not negative).
Cents = Annotated[int, Field(ge=-services.BIGINT_MAX, le=services.BIGINT_MAX)]


class ErrorOut(Schema):
    message: str
    field: str


class LineErrorOut(Schema):
    line: int
    message: str


class FileRefusedOut(Schema):
    message: str
    field: str
    errors: list[LineErrorOut]


class CensusImportOut(Schema):
    added: int
    census_size: int


class PaperBatchOut(Schema):
    id: int
    filename: str
    file_sha256: str
    ballots_count: int
    uploaded_at: datetime


class PriorityNeedOut(Schema):
    decision_id: int
    text: str
    service_category: str
    territory_code: str
    council_id: int
    council: str
    published_at: datetime
    url: str


class CategoryOut(Schema):
    id: int
    name: str
    # The council decision (a priority need) the category was taken from, if any.
    priority_need: PriorityNeedOut | None


class BudgetOut(Schema):
    id: int
    name: str
    territory_code: str
    amount_cents: int


class ProcessOut(Schema):
    slug: str
    title: str
    description: str
    territory_code: str
    country_code: str
    currency: str
    phase: str
    proposals_open_at: datetime
    review_open_at: datetime
    voting_open_at: datetime
    voting_close_at: datetime
    implementation_open_at: datetime
    rule: str
    satisfaction: str
    completion: str
    ballot_kind: str
    min_projects: int
    max_projects: int | None
    eligibility: str
    results_published_at: datetime | None
    budgets: list[BudgetOut]


class ProjectOut(Schema):
    id: int
    budget_id: int
    title: str
    description: str
    category: str
    category_id: int
    # The council decision (a priority need) the project's category answers, if any.
    category_decision_id: int | None
    location_code: str
    estimated_cost_cents: int
    cost_cents: int
    status: str
    review_reason: str
    selected: bool
    implementation_status: str
    progress_percent: int
    spent_cents: int


class BudgetResultOut(Schema):
    budget_id: int
    budget_name: str
    amount_cents: int
    rule: str
    satisfaction: str
    completion: str
    voters: int
    selected: list[str]
    greedy_selected: list[str]
    cost_cents: int
    votes: dict[str, int]
    explanations: dict[str, dict[str, Any]]
    pb_sha256: str
    ballots_url: str
    recount_command: str


def _process(slug: str) -> Process:
    process = process_by_slug(slug=slug)
    if process is None:
        raise FieldError(404, f"no process {slug!r}", "slug")
    return process


def _official_process(request: HttpRequest, slug: str, now: datetime) -> Process:
    process = _process(slug)
    if not access_process_as_official(request.user, process, at=now):
        raise FieldError(
            403, "only an official of the process's territory may do this", "Authorization"
        )
    return process


def _process_out(process: Process, now: datetime) -> dict[str, Any]:
    return {
        "slug": process.slug,
        "title": process.title,
        "description": process.description,
        "territory_code": process.territory.code,
        "country_code": process.territory.country_code,
        "currency": process.currency,
        "phase": process_phase(process, at=now).value,
        "proposals_open_at": process.proposals_open_at,
        "review_open_at": process.review_open_at,
        "voting_open_at": process.voting_open_at,
        "voting_close_at": process.voting_close_at,
        "implementation_open_at": process.implementation_open_at,
        "rule": process.rule,
        "satisfaction": process.satisfaction,
        "completion": process.completion,
        "ballot_kind": process.ballot_kind,
        "min_projects": process.min_projects,
        "max_projects": process.max_projects,
        "eligibility": process.eligibility,
        "results_published_at": process.results_published_at,
        "budgets": [_budget_out(b) for b in budgets_of(process)],
    }


def _budget_out(budget: Budget) -> dict[str, Any]:
    return {
        "id": budget.pk,
        "name": budget.name,
        "territory_code": budget.territory.code,
        "amount_cents": budget.amount_cents,
    }


@router.get("/processes", response=list[ProcessOut])
def list_processes(request: HttpRequest) -> list[dict[str, Any]]:
    now = timezone.now()
    return [_process_out(p, now) for p in processes_all()]


@router.get("/processes/{slug}", response=ProcessOut)
def get_process(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _process_out(_process(slug), timezone.now())


def _project_out(p: Project) -> dict[str, Any]:
    return {
        "id": p.pk,
        "budget_id": p.budget_id,
        "title": p.title,
        "description": p.description,
        "category": p.category.name,
        "category_id": p.category_id,
        "category_decision_id": p.category.source_decision_id,
        "location_code": p.location.code,
        "estimated_cost_cents": p.estimated_cost_cents,
        "cost_cents": p.cost_cents,
        "status": p.status,
        "review_reason": p.review_reason,
        "selected": p.selected,
        "implementation_status": p.implementation_status,
        "progress_percent": p.progress_percent,
        "spent_cents": p.spent_cents,
    }


@router.get("/processes/{slug}/projects", response=list[ProjectOut])
def list_projects(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    return [_project_out(p) for p in projects_of(_process(slug))]


def _category_out(category: Any) -> dict[str, Any]:
    need = category.source_decision
    return {
        "id": category.pk,
        "name": category.name,
        "priority_need": None
        if need is None
        else {
            "decision_id": need.pk,
            "text": need.text,
            "service_category": need.service_category,
            "territory_code": need.territory.code,
            "council_id": need.council_id,
            "council": need.council.name,
            "published_at": need.published_at,
            "url": need.get_absolute_url(),
        },
    }


@router.get("/processes/{slug}/categories", response=list[CategoryOut])
def list_categories(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    return [_category_out(c) for c in categories_of(_process(slug))]


@router.post(
    "/processes/{slug}/categories/priority-needs",
    auth=writer,
    response={
        200: list[CategoryOut],
        201: list[CategoryOut],
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
    },
)
def take_priority_needs(request: HttpRequest, slug: str) -> Status:
    """Adds a category for every priority need of the joint councils that bears on the process's
    territory and that the process has not taken yet. Answers 201 with the categories added, or
    200 with an empty list when every need was already taken."""
    now = timezone.now()
    process = _official_process(request, slug, now)
    try:
        created = services.priority_needs_take(actor=request.user, process=process, now=now)
    except services.BudgetingError as exc:
        raise FieldError(400, exc.message, exc.field) from exc
    return Status(201 if created else 200, [_category_out(c) for c in created])


def _file_refused(message: str, errors: list[tuple[int, str]], field: str = "file") -> Status:
    """400 with the refusal's first line as the message and every bad line of the file (none
    for a refusal of the whole upload, such as voting having closed)."""
    return Status(
        400,
        {
            "message": message.split("\n")[0],
            "field": field,
            "errors": [{"line": line, "message": text} for line, text in errors],
        },
    )


@router.post(
    "/processes/{slug}/census",
    auth=writer,
    response={200: CensusImportOut, 400: FileRefusedOut, 403: ErrorOut, 404: ErrorOut},
    summary="Import the census (multipart `file`: CSV with cedula and parroquia; all or nothing)",
)
def census_import(request: HttpRequest, slug: str, file: File[UploadedFile]) -> Any:
    """Adds the residents listed to the census of eligible voters. A file with any bad line
    imports nothing and answers 400 with every error by line (line 1 is the header); importing
    the same list again adds nobody."""
    now = timezone.now()
    process = _official_process(request, slug, now)
    try:
        added = services.census_import(
            actor=request.user, process=process, csv_text=services.csv_upload_text(file), now=now
        )
    except services.BudgetingError as exc:
        return _file_refused(exc.message, exc.errors, exc.field)
    return {"added": added, "census_size": census_size(process)}


@router.post(
    "/processes/{slug}/paper-ballots",
    auth=writer,
    response={201: PaperBatchOut, 400: FileRefusedOut, 403: ErrorOut, 404: ErrorOut},
    summary="Upload paper ballots (multipart `file`: CSV with cedula, presupuesto, proyectos)",
)
def paper_ballots_upload(request: HttpRequest, slug: str, file: File[UploadedFile]) -> Any:
    """Records the paper ballots of a polling station: each line marks the person as having
    voted and puts an anonymous ballot in the box. One bad line and nothing is recorded (400,
    with every error by line)."""
    now = timezone.now()
    process = _official_process(request, slug, now)
    try:
        batch = services.paper_ballots_upload(
            actor=request.user,
            process=process,
            csv_text=services.csv_upload_text(file),
            filename=file.name or "",
            now=now,
        )
    except services.BudgetingError as exc:
        return _file_refused(exc.message, exc.errors, exc.field)
    return Status(
        201,
        {
            "id": batch.pk,
            "filename": batch.filename,
            "file_sha256": batch.file_sha256,
            "ballots_count": batch.ballots_count,
            "uploaded_at": batch.uploaded_at,
        },
    )


@router.get("/processes/{slug}/results", response=list[BudgetResultOut])
def get_results(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    process = _process(slug)
    if process.results_published_at is None:
        raise FieldError(404, "the results of this process are not published yet", "slug")
    return _results_out(process)


def _results_out(process: Process) -> list[dict[str, Any]]:
    slug = process.slug
    out = []
    for budget in budgets_of(process):
        result = result_of(budget)
        assert result is not None, "published results cover every budget"
        out.append(
            {
                "budget_id": budget.pk,
                "budget_name": budget.name,
                "amount_cents": budget.amount_cents,
                "rule": result.rule,
                "satisfaction": result.satisfaction,
                "completion": result.completion,
                "voters": turnout(budget),
                "selected": result.selected,
                "greedy_selected": result.greedy_selected,
                "cost_cents": result.cost_cents,
                "votes": {str(k): v for k, v in votes_per_project(budget).items()},
                # "text" in the request's language; the figures as stored.
                "explanations": {
                    pid: explanation_out(data, currency=process.currency)
                    for pid, data in result.explanations.items()
                },
                "pb_sha256": result.pb_sha256,
                "ballots_url": f"/api/v1/budgeting/processes/{slug}/budgets/{budget.pk}/ballots.pb",
                "recount_command": tally_command(process),
            }
        )
    return out


@router.get(
    "/processes/{slug}/budgets/{budget_id}/ballots.pb",
    response={200: str},
    openapi_extra={
        "responses": {200: {"description": "pabulib file", "content": {"text/plain": {}}}}
    },
)
def get_ballots(request: HttpRequest, slug: str, budget_id: int) -> HttpResponse:
    process = _process(slug)
    # Ids beyond a 63-bit integer cannot exist (and would overflow PostgreSQL's bigint).
    budget = (
        budget_of(process, budget_id=budget_id) if 0 < budget_id <= services.BIGINT_MAX else None
    )
    if budget is None:
        raise FieldError(404, f"no budget {budget_id} in process {slug!r}", "budget_id")
    result = result_of(budget)
    if result is None:
        raise FieldError(404, "the ballots are published with the results", "budget_id")
    response = HttpResponse(result.pb_file, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{process.slug}-{budget.territory.code}.pb"'
    )
    return response


# --- the journeys: proposing, reviewing, voting, publishing, following -----------------------

# The services name the fields of the pages' forms; the API names its own.
_API_FIELDS = {
    "budget": "budget_id",
    "category": "category_id",
    "location": "location_code",
    "estimated_cost": "estimated_cost_cents",
    "adjusted_cost": "adjusted_cost_cents",
    "spent": "spent_cents",
}


def _refused(exc: services.BudgetingError, *, otherwise: str) -> FieldError:
    """A service's refusal as an answer naming the API's field. A refusal for the phase names the
    process (its dates decide the phase); one that names no field names `otherwise`."""
    if isinstance(exc, services.WrongPhase):
        field = "slug"
    else:
        field = _API_FIELDS.get(exc.field, exc.field) or otherwise
    status = 403 if isinstance(exc, services.NotAllowed) else 400
    return FieldError(status, exc.message, field)


def _call[T](fn: Callable[..., T], *, otherwise: str, **kwargs: Any) -> T:
    """Calls a service; its refusal becomes the answer naming the API's field (`_refused`)."""
    try:
        return fn(**kwargs)
    except services.BudgetingError as exc:
        raise _refused(exc, otherwise=otherwise) from exc


def _official_project(request: HttpRequest, slug: str, project_id: int, now: datetime) -> Project:
    """A project of the process, for an official of the process's territory."""
    process = _official_process(request, slug, now)
    project = project_by_id(project_id=project_id)
    if project is None or project.process_id != process.pk:
        raise FieldError(404, f"no project {project_id} in process {slug!r}", "project_id")
    return project


def _budget_of(process: Process, budget_id: int) -> Budget:
    budget = budget_of(process, budget_id=budget_id)
    if budget is None:
        raise FieldError(404, f"no budget {budget_id} in process {process.slug!r}", "budget_id")
    return budget


class ProposalIn(Schema):
    budget_id: Id
    title: str
    description: str
    # Whole currency units, in cents (10000 is 100.00).
    estimated_cost_cents: Cents
    # The official code of the place: the budget's territory or one inside it.
    location_code: str
    category_id: Id


@router.post(
    "/processes/{slug}/projects",
    auth=resident,
    response={201: ProjectOut, 400: ErrorOut, 404: ErrorOut},
    summary="Propose a project (a signed-in resident, in the proposals phase)",
)
def propose(request: HttpRequest, slug: str, payload: ProposalIn) -> Status:
    """Submits a proposal for technical review. Images are added on the page
    (/budgeting/<process>/propose/), not here."""
    now = timezone.now()
    process = _process(slug)
    budget = budget_of(process, budget_id=payload.budget_id)
    if budget is None:
        raise FieldError(400, f"no budget {payload.budget_id} in process {slug!r}", "budget_id")
    category = category_of(process, category_id=payload.category_id)
    if category is None:
        raise FieldError(
            400, f"no category {payload.category_id} in process {slug!r}", "category_id"
        )
    location = territory_of(country_code=process.territory.country_code, code=payload.location_code)
    if location is None:
        raise FieldError(400, f"no territory {payload.location_code!r}", "location_code")
    project = _call(
        services.project_propose,
        otherwise="slug",
        actor=request.user,
        process=process,
        budget=budget,
        title=payload.title,
        description=payload.description,
        estimated_cost_cents=payload.estimated_cost_cents,
        location=location,
        category=category,
        now=now,
    )
    return Status(201, _project_out(project))


class ReviewIn(Schema):
    feasible: bool
    reason: str
    # The cost on the ballot when the estimate is wrong; null keeps the estimate.
    adjusted_cost_cents: Cents | None = None


@router.post(
    "/processes/{slug}/projects/{project_id}/review",
    auth=writer,
    response={200: ProjectOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Review a proposal: feasible or not, why, and an adjusted cost (an official)",
)
def review(request: HttpRequest, slug: str, project_id: Id, payload: ReviewIn) -> Any:
    """The technical review, until voting opens; a review may be revised in that time. Only
    feasible projects go on the ballot, at the adjusted cost if one is given."""
    now = timezone.now()
    project = _official_project(request, slug, project_id, now)
    reviewed = _call(
        services.project_review,
        otherwise="project_id",
        actor=request.user,
        project=project,
        feasible=payload.feasible,
        reason=payload.reason,
        adjusted_cost_cents=payload.adjusted_cost_cents,
        now=now,
    )
    return _project_out(reviewed)


class ClaimIn(Schema):
    identifier: Annotated[str, Field(max_length=20)]


class ClaimOut(Schema):
    # The budgets the resident may vote in.
    budgets: list[BudgetOut]


@router.post(
    "/processes/{slug}/census/claim",
    auth=resident,
    response={200: ClaimOut, 400: ErrorOut, 404: ErrorOut},
    summary="Claim one's census entry with one's cédula, to be able to vote (a resident)",
)
def census_claim(request: HttpRequest, slug: str, payload: ClaimIn) -> Any:
    """Links the signed-in account to its entry in the census that the officials imported. An
    entry is claimed by one account only, and an account claims one entry per process. Answers
    the budgets the resident may vote in."""
    now = timezone.now()
    process = _process(slug)
    entry = _call(
        services.census_claim,
        otherwise="identifier",
        actor=request.user,
        process=process,
        identifier=payload.identifier,
        now=now,
    )
    return {"budgets": [_budget_out(b) for b in budgets_open_to(process, entry=entry)]}


class BallotIn(Schema):
    projects: list[Id]
    # To change a ballot: the receipt code given when it was cast.
    receipt: Annotated[str, Field(max_length=40)] = ""


class BallotOut(Schema):
    budget_id: int
    # The voter's receipt code: the only way back to the ballot, to change or check it.
    receipt: str
    # The ballot's name in the published file.
    voter_id: str
    projects: list[int]


@router.post(
    "/processes/{slug}/budgets/{budget_id}/ballot",
    auth=resident,
    response={200: BallotOut, 201: BallotOut, 400: ErrorOut, 404: ErrorOut},
    summary="Cast (201) or change (200, with the receipt code) one's ballot (a resident)",
)
def ballot_cast(request: HttpRequest, slug: str, budget_id: Id, payload: BallotIn) -> Status:
    """Casts the resident's ballot in a budget open to them, during voting, and answers the
    receipt code to keep. Casting again with that code changes the ballot (same code); without
    it the ballot cannot be found, since nothing else links the voter to it."""
    now = timezone.now()
    process = _process(slug)
    budget = _budget_of(process, budget_id)
    entry = census_entry_of_user(process, user=request.user)
    if entry is None:
        raise FieldError(
            400,
            f"claim your census entry first: POST /api/v1/budgeting/processes/{slug}/census/claim",
            "identifier",
        )
    code = _call(
        services.ballot_cast,
        otherwise="budget_id",
        actor=request.user,
        entry=entry,
        budget=budget,
        project_ids=payload.projects,
        receipt=payload.receipt,
        now=now,
    )
    found = receipt_lookup(process, receipt=code)
    assert found is not None and found.budget.pk == budget.pk, "a cast ballot is in its box"
    # A first ballot gets a new random code; a change keeps the code it was given.
    changed = code == payload.receipt.strip()
    return Status(
        200 if changed else 201,
        {
            "budget_id": budget.pk,
            "receipt": code,
            "voter_id": found.voter_id,
            "projects": found.project_ids,
        },
    )


class ReceiptIn(Schema):
    receipt: Annotated[str, Field(max_length=40)]


class ReceiptOut(Schema):
    budget_id: int
    budget_name: str
    # The ballot's name in the published file (once the results are out).
    voter_id: str
    projects: list[int]
    published: bool


@router.post(
    "/processes/{slug}/receipt-check",
    response={200: ReceiptOut, 404: ErrorOut},
    summary="Check that the ballot of a receipt code is in the box (anyone with the code)",
)
def receipt_check(request: HttpRequest, slug: str, payload: ReceiptIn) -> Any:
    """What the page /budgeting/<process>/check/ shows: the budget, the ballot's choices and its
    name in the published file. A POST, so that the code stays out of addresses and logs."""
    process = _process(slug)
    found = receipt_lookup(process, receipt=payload.receipt)
    if found is None:
        raise FieldError(404, "no ballot of this process has that receipt code", "receipt")
    return {
        "budget_id": found.budget.pk,
        "budget_name": found.budget.name,
        "voter_id": found.voter_id,
        "projects": found.project_ids,
        "published": found.published,
    }


@router.post(
    "/processes/{slug}/results",
    auth=writer,
    response={201: list[BudgetResultOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Compute and publish the results, once, after voting closes (an official)",
)
def results_publish(request: HttpRequest, slug: str) -> Status:
    """Closes the box and publishes every budget's outcome, explanations and ballots at once;
    answers what GET /processes/{slug}/results then gives."""
    now = timezone.now()
    process = _official_process(request, slug, now)
    _call(services.results_compute, otherwise="slug", actor=request.user, process=process, now=now)
    return Status(201, _results_out(process))


class UpdateIn(Schema):
    update_date: date
    # One of not_started, in_progress, completed, cancelled.
    status: str
    progress_percent: int
    # Money spent to date, in cents.
    spent_cents: Cents
    note: str


class UpdateOut(Schema):
    id: int
    project_id: int
    update_date: date
    status: str
    progress_percent: int
    spent_cents: int
    note: str
    recorded_at: datetime


@router.post(
    "/processes/{slug}/projects/{project_id}/updates",
    auth=writer,
    response={201: UpdateOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Record a dated progress report on a funded project (an official)",
)
def project_update(request: HttpRequest, slug: str, project_id: Id, payload: UpdateIn) -> Status:
    """Adds a report to the project's public timeline; the project takes its status, progress and
    spending. Dates move forward; a completed project is at 100 %."""
    now = timezone.now()
    project = _official_project(request, slug, project_id, now)
    update = _call(
        services.project_update_record,
        otherwise="project_id",
        actor=request.user,
        project=project,
        update_date=payload.update_date,
        status=payload.status,
        progress_percent=payload.progress_percent,
        spent_cents=payload.spent_cents,
        note=payload.note,
        now=now,
    )
    return Status(
        201,
        {
            "id": update.pk,
            "project_id": project.pk,
            "update_date": update.update_date,
            "status": update.status,
            "progress_percent": update.progress_percent,
            "spent_cents": update.spent_cents,
            "note": update.note,
            "recorded_at": update.recorded_at,
        },
    )
