"""The social income API (/api/v1/socialincome/): public reads of the programmes and their open
books; a provider's delegate records services; a household confirms or disputes with its
one-time code; an official imports the registry, issues a month, proposes parameter changes and
records the board's decision on them. Refusals are 4xx with the field at fault (a refused
registry file also lists every bad line)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Router, Schema, Status, UploadedFile

from minga.accounts.auth import TokenAuth
from minga.apierrors import FieldError
from minga.core.roles import Role

from . import selectors, services
from .domain import parse_period

router = Router(tags=["socialincome"])
delegate = TokenAuth([Role.DELEGATE])
official = TokenAuth([Role.OFFICIAL, Role.ADMINISTRATOR])


class ErrorOut(Schema):
    message: str
    field: str


class ProgrammeOut(Schema):
    slug: str
    name: str
    territory: str
    unit: str
    currency_code: str
    validity_months: int
    confirm_window_days: int
    categories: list[str]


class IdentityOut(Schema):
    category: str
    issued: int
    redeemed: int
    expired: int
    outstanding: int
    holds: bool


class BooksOut(Schema):
    rows: list[dict[str, Any]]
    providers: list[dict[str, Any]]
    identity: list[IdentityOut]


class ServiceIn(Schema):
    organization_id: int
    category: str
    cedula: str
    service_date: date
    hours: str


class ServiceOut(Schema):
    id: int
    status: str
    amount: int
    transfer_id: str


class RecordedOut(ServiceOut):
    code: str


class CodeIn(Schema):
    code: str
    confirm: bool


class LineErrorOut(Schema):
    line: int
    field: str
    message: str


class RegistryRefusedOut(Schema):
    message: str
    field: str
    errors: list[LineErrorOut]


class ImportOut(Schema):
    id: int
    rows: int
    households_added: int
    added: int
    updated: int
    removed: int
    imported_at: datetime


class IssueIn(Schema):
    period: str


class IssueOut(Schema):
    period: str
    written: int
    done_before: int
    amount: int


class ChangeOut(Schema):
    id: int
    summary: str
    values: dict[str, Any]
    effective_date: date
    status: str
    motion_id: int | None
    proposed_at: datetime
    decided_at: datetime | None


class ChangeIn(Schema):
    summary: str
    effective_date: date
    values: dict[str, int | str]


class DecisionIn(Schema):
    motion_id: int


def _change_out(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "summary": c.summary,
        "values": c.values,
        "effective_date": c.effective_date,
        "status": c.status,
        "motion_id": c.motion_id,
        "proposed_at": c.proposed_at,
        "decided_at": c.decided_at,
    }


def _official_programme(request: HttpRequest, slug: str) -> Any:
    programme = _programme(slug)
    if not selectors.access_programme_as_official(request.user, programme):
        raise FieldError(403, "only officials of the programme's territory", "slug")
    return programme


def _programme(slug: str) -> Any:
    programme = selectors.programme_by_slug(slug=slug)
    if programme is None:
        raise FieldError(404, "no such programme", "slug")
    return programme


def _refused(error: services.SocialIncomeError) -> FieldError:
    return FieldError(400, error.message, error.field)


def _programme_out(p: Any) -> dict[str, Any]:
    return {
        "slug": p.slug,
        "name": p.name,
        "territory": f"{p.territory.country_code}:{p.territory.code}",
        "unit": p.unit,
        "currency_code": p.currency_code,
        "validity_months": p.validity_months,
        "confirm_window_days": p.confirm_window_days,
        "categories": [c.code for c in selectors.categories_of(programme=p)],
    }


def _service_out(s: Any) -> dict[str, Any]:
    return {"id": s.pk, "status": s.status, "amount": s.amount, "transfer_id": s.transfer_id}


@router.get("/programmes", response=list[ProgrammeOut], summary="The programmes")
def programmes(request: HttpRequest) -> Any:
    return [_programme_out(p) for p in selectors.programmes_list()]


@router.get(
    "/programmes/{slug}/books",
    response={200: BooksOut, 404: ErrorOut},
    summary="Open books: by month and category, per provider, and the money identity",
)
def books(request: HttpRequest, slug: str) -> Any:
    programme = _programme(slug)
    return {
        "rows": list(selectors.books_rows(programme=programme)),
        "providers": list(selectors.provider_rows(programme=programme)),
        "identity": [
            {**vars(i), "holds": i.holds}
            for i in (
                selectors.identity(category=c) for c in selectors.categories_of(programme=programme)
            )
        ],
    }


@router.post(
    "/programmes/{slug}/services",
    auth=delegate,
    response={201: RecordedOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A provider's delegate records a service delivered (a pending transfer)",
)
def service_record(request: HttpRequest, slug: str, payload: ServiceIn) -> Any:
    programme = _programme(slug)
    organization = selectors.organization_by_id(organization_id=payload.organization_id)
    if organization is None:
        raise FieldError(404, "no such organisation", "organization_id")
    if not selectors.access_organization_as_delegate_of(request.user, organization):
        raise FieldError(403, "you are not a delegate of this organisation", "organization_id")
    try:
        recorded = services.service_record(
            actor=request.user,
            programme=programme,
            organization=organization,
            category_code=payload.category,
            cedula=payload.cedula,
            service_date=payload.service_date,
            hours=payload.hours,
            now=timezone.now(),
        )
    except services.SocialIncomeError as error:
        raise _refused(error) from None
    return Status(201, {**_service_out(recorded.service), "code": recorded.code})


@router.post(
    "/services/code",
    response={200: ServiceOut, 400: ErrorOut},
    summary="Confirm (confirm=true) or dispute a service with the code given at the door",
)
def service_by_code(request: HttpRequest, payload: CodeIn) -> Any:
    try:
        service = services.service_resolve_by_code(
            code=payload.code, confirm=payload.confirm, now=timezone.now()
        )
    except services.SocialIncomeError as error:
        raise _refused(error) from None
    return _service_out(service)


@router.post(
    "/programmes/{slug}/registry",
    auth=official,
    response={200: ImportOut, 400: RegistryRefusedOut, 403: ErrorOut, 404: ErrorOut},
    summary="Import the registry (multipart `file`: a CSV, one row per person; all or nothing)",
)
def registry_import(request: HttpRequest, slug: str, file: File[UploadedFile]) -> Any:
    """The registry CSV with the columns cedula, household_id, birth_date, income and
    disability. A file with any bad line imports nothing and answers 400 with every error, by
    line (line 1 is the header). A re-import updates in place and records what changed."""
    programme = _official_programme(request, slug)
    try:
        run = services.registry_import(
            actor=request.user,
            programme=programme,
            data=file.read(),
            filename=file.name or "",
            now=timezone.now(),
        )
    except services.RegistryRefused as error:
        return Status(
            400,
            {
                "message": error.message,
                "field": "file",
                "errors": [vars(e) for e in error.errors],
            },
        )
    counts = run.counts()
    return {
        "id": run.pk,
        "rows": run.rows,
        "households_added": counts["household_added"],
        "added": counts["added"],
        "updated": counts["updated"],
        "removed": counts["removed"],
        "imported_at": run.imported_at,
    }


@router.post(
    "/programmes/{slug}/issue",
    auth=official,
    response={200: IssueOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Issue a month (idempotent: a rerun issues nothing more)",
)
def issue(request: HttpRequest, slug: str, payload: IssueIn) -> Any:
    programme = _official_programme(request, slug)
    try:
        period = parse_period(payload.period)
    except ValueError as error:
        raise FieldError(400, str(error).split(": ", 1)[-1], "period") from None
    try:
        report = services.month_issue(
            actor=request.user, programme=programme, period=period, now=timezone.now()
        )
    except services.SocialIncomeError as error:
        raise _refused(error) from None
    return {
        "period": report.period,
        "written": report.written,
        "done_before": report.done_before,
        "amount": report.amount,
    }


@router.get(
    "/programmes/{slug}/changes",
    response={200: list[ChangeOut], 404: ErrorOut},
    summary="Every parameter change: proposed, approved or rejected, with the board's motion",
)
def changes(request: HttpRequest, slug: str) -> Any:
    programme = _programme(slug)
    return [_change_out(c) for c in selectors.parameter_changes(programme=programme)]


@router.post(
    "/programmes/{slug}/changes",
    auth=official,
    response={201: ChangeOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Propose parameter values (or a new category, `category:<code>`) for the board",
)
def change_propose(request: HttpRequest, slug: str, payload: ChangeIn) -> Any:
    programme = _official_programme(request, slug)
    try:
        change = services.parameter_change_propose(
            actor=request.user,
            programme=programme,
            summary=payload.summary,
            values=payload.values,
            effective_date=payload.effective_date,
            now=timezone.now(),
        )
    except services.SocialIncomeError as error:
        raise _refused(error) from None
    return Status(201, _change_out(change))


@router.post(
    "/programmes/{slug}/changes/{change_id}/decision",
    auth=official,
    response={200: ChangeOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Record the board's decision on a proposal: a closed motion of the programme's board",
)
def change_decide(request: HttpRequest, slug: str, change_id: int, payload: DecisionIn) -> Any:
    programme = _official_programme(request, slug)
    change = selectors.parameter_change_by_id(programme=programme, change_id=change_id)
    if change is None:
        raise FieldError(404, "no such change", "change_id")
    motion = selectors.motion_by_id(motion_id=payload.motion_id)
    if motion is None:
        raise FieldError(404, "no such motion", "motion_id")
    try:
        decided = services.parameter_change_decide(
            actor=request.user, change=change, motion=motion, now=timezone.now()
        )
    except services.SocialIncomeError as error:
        field = "motion_id" if error.field == "motion" else error.field
        raise FieldError(400, error.message, field) from None
    return _change_out(decided)
