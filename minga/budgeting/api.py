"""The participatory-budgeting API (/api/v1/budgeting/): public reads of processes, projects,
categories (with the councils' priority needs they answer), results with their explanations (in
the request's language), and the published ballots as pabulib files. Writes, for officials of
the process's territory: taking categories from the councils' priority needs, importing the
census and uploading paper ballots (CSV files, all or nothing, every bad line in the answer)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Router, Schema, Status, UploadedFile
from ninja.security import django_auth

from minga.accounts.auth import TokenAuth
from minga.apierrors import FieldError
from minga.core.roles import Role

from . import services
from .formatting import explanation_out
from .models import Process
from .selectors import (
    access_process_as_official,
    budget_of,
    budgets_of,
    categories_of,
    census_size,
    process_by_slug,
    process_phase,
    processes_all,
    projects_of,
    result_of,
    turnout,
    votes_per_project,
)
from .tally import tally_command

router = Router(tags=["budgeting"])
# Writes need a signed-in session or an API token, and the rights of the pages (an official of
# the process's territory).
writer = [TokenAuth([Role.OFFICIAL, Role.ADMINISTRATOR]), django_auth]


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
        "budgets": [
            {
                "id": b.pk,
                "name": b.name,
                "territory_code": b.territory.code,
                "amount_cents": b.amount_cents,
            }
            for b in budgets_of(process)
        ],
    }


@router.get("/processes", response=list[ProcessOut])
def list_processes(request: HttpRequest) -> list[dict[str, Any]]:
    now = timezone.now()
    return [_process_out(p, now) for p in processes_all()]


@router.get("/processes/{slug}", response=ProcessOut)
def get_process(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _process_out(_process(slug), timezone.now())


@router.get("/processes/{slug}/projects", response=list[ProjectOut])
def list_projects(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    return [
        {
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
        for p in projects_of(_process(slug))
    ]


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
    budget = budget_of(process, budget_id=budget_id) if 0 < budget_id < 2**63 else None
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
