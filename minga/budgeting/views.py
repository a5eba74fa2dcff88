"""Pages of participatory budgeting. Views parse, authorise, call a service or selector and
render; every rule lives in the services."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from minga.territories.selectors import territory_descendants

from . import services
from .formatting import explanation_text, money_cents
from .forms import (
    MAX_UNITS,
    ClaimForm,
    CsvUploadForm,
    ProcessForm,
    ProposalForm,
    ReceiptCheckForm,
    ReviewForm,
    UpdateForm,
)
from .models import Budget, Phase, Process, Project, ProjectStatus
from .selectors import (
    access_process_as_official,
    ballot_by_receipt,
    ballot_project_ids,
    ballot_projects,
    bars,
    budget_bar,
    budget_of,
    budgets_of,
    budgets_open_to,
    categories_of,
    category_of,
    census_entry_of_user,
    census_size,
    has_voted,
    official_territories,
    priority_needs_for,
    priority_needs_taken,
    process_by_slug,
    process_phase,
    process_timeline,
    processes_all,
    project_by_id,
    project_updates,
    projects_of,
    projects_to_review,
    public_voter_id,
    receipt_lookup,
    receipt_sha256,
    result_of,
    results_of,
    territory_of,
    turnout,
    voter_record,
)
from .tally import UNIT_CENTS, tally_command

RECEIPT_SESSION_KEY = "budgeting_receipts"


def _now() -> datetime:
    """The clock of these pages, in one place so that tests can set it."""
    return timezone.now()


def _process(slug: str) -> Process:
    process = process_by_slug(slug=slug)
    if process is None:
        raise Http404(_("No existe ese proceso."))
    return process


def _budget(process: Process, budget_id: int) -> Budget:
    budget = budget_of(process, budget_id=budget_id)
    if budget is None:
        raise Http404(_("No existe ese presupuesto."))
    return budget


def _project(project_id: int) -> Project:
    project = project_by_id(project_id=project_id)
    if project is None:
        raise Http404(_("No existe ese proyecto."))
    return project


def _form_error(form: Form, exc: services.BudgetingError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _forbidden() -> HttpResponse:
    return HttpResponseForbidden(
        _("Solo un/a funcionario/a del territorio del proceso puede ver esta página.")
    )


def process_list(request: HttpRequest) -> HttpResponse:
    now = _now()
    rows = [(p, process_phase(p, at=now)) for p in processes_all()]
    can_open = bool(official_territories(request.user, at=now))
    return render(request, "budgeting/process_list.html", {"rows": rows, "can_open": can_open})


def process_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _process_page(request, _process(slug))


def _process_page(
    request: HttpRequest, process: Process, *, error: str = "", status: int = 200
) -> HttpResponse:
    now = _now()
    phase = process_phase(process, at=now)
    by_budget: dict[int, list[Project]] = defaultdict(list)
    for project in projects_of(process):
        by_budget[project.budget_id].append(project)
    entry = census_entry_of_user(process, user=request.user)
    is_official = access_process_as_official(request.user, process, at=now)
    may_take_needs = is_official and phase in NEEDS_PHASES
    return render(
        request,
        "budgeting/process_detail.html",
        {
            "process": process,
            "phase": phase,
            "Phase": Phase,
            "timeline": process_timeline(process, at=now),
            "budgets": [(b, by_budget.get(b.pk, [])) for b in budgets_of(process)],
            "entry": entry,
            "open_budgets": budgets_open_to(process, entry=entry) if entry else [],
            "is_official": is_official,
            "census_size": census_size(process),
            "categories": categories_of(process),
            "may_take_needs": may_take_needs,
            "needs": priority_needs_for(process, at=now) if may_take_needs else [],
            "needs_taken": priority_needs_taken(process) if may_take_needs else set(),
            "error": error,
        },
        status=status,
    )


# The phases in which categories may be taken from the councils' priority needs (as
# services.priority_needs_take demands): categories are for proposals.
NEEDS_PHASES = (Phase.UPCOMING, Phase.PROPOSALS)


@login_required
@require_POST
def take_priority_needs(request: HttpRequest, slug: str) -> HttpResponse:
    """An official adds a category for every priority need of the councils not taken yet."""
    process = _process(slug)
    if not access_process_as_official(request.user, process, at=_now()):
        return _forbidden()
    try:
        created = services.priority_needs_take(actor=request.user, process=process, now=_now())
    except services.BudgetingError as exc:
        return _process_page(request, process, error=exc.message, status=400)
    if created:
        messages.success(
            request,
            ngettext(
                "%(n)d categoría añadida desde las necesidades prioritarias.",
                "%(n)d categorías añadidas desde las necesidades prioritarias.",
                len(created),
            )
            % {"n": len(created)},
        )
    else:
        messages.info(
            request, _("Todas las necesidades prioritarias ya eran categorías de este proceso.")
        )
    return redirect("budgeting:process", slug=process.slug)


def _locations(process: Process) -> dict[int, Any]:
    """The places a proposal can be located: every budget's territory and what lies under it."""
    places: dict[int, Any] = {}
    for budget in budgets_of(process):
        places[budget.territory.pk] = budget.territory
        for territory in territory_descendants(budget.territory):
            places[territory.pk] = territory
    return places


class _Refused(Exception):
    pass


def _budget_lines(text: str, form: Form) -> list[tuple[int, str, str, str]]:
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        if len(parts) != 3:
            form.add_error(
                "budgets",
                _("línea %(n)d: escriba código;nombre;monto.") % {"n": number},
            )
            continue
        lines.append((number, parts[0], parts[1], parts[2]))
    return lines


def _budget_units(number: int, amount: str) -> tuple[int, str]:
    """A budget line's amount in whole units, or the error naming the line ("" if none)."""
    # isdecimal, not isdigit: "²" is a digit that int() cannot read.
    if not amount.isdecimal():
        return 0, _("línea %(n)d: el monto debe ser un número entero.") % {"n": number}
    # Digit by digit to ASCII, without leading zeros, so that the length is the magnitude:
    # int() refuses a string of more than sys.get_int_max_str_digits() digits (4,300 by default).
    digits = "".join(str(int(digit)) for digit in amount).lstrip("0") or "0"
    # Stored in cents, the amount must fit the database's 64-bit integers (beyond them SQLite
    # raised OverflowError, a 500).
    if len(digits) > len(str(MAX_UNITS)) or int(digits) > MAX_UNITS:
        return 0, _("línea %(n)d: el monto es demasiado grande.") % {"n": number}
    return int(digits), ""


@login_required
@require_http_methods(["GET", "POST"])
def process_new(request: HttpRequest) -> HttpResponse:
    """An official opens a process for their territory, with its budgets and categories, all at
    once: if any part is refused, nothing is created."""
    now = _now()
    places = {t.pk: t for t in official_territories(request.user, at=now)}
    if not places:
        return _forbidden()
    form = ProcessForm(
        request.POST or None,
        territories=[(pk, f"{t.name} ({t.code})") for pk, t in places.items()],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        territory = places[data["territory"]]
        budget_lines = _budget_lines(data["budgets"], form)
        try:
            if form.errors:
                raise _Refused
            with transaction.atomic():
                process = services.process_create(
                    actor=request.user,
                    territory=territory,
                    **{k: data[k] for k in _PROCESS_FIELDS},
                    now=now,
                )
                for number, code, name, amount in budget_lines:
                    place = territory_of(country_code=territory.country_code, code=code)
                    if place is None:
                        form.add_error(
                            "budgets",
                            _("línea %(n)d: no existe el territorio «%(code)s».")
                            % {"n": number, "code": code},
                        )
                        raise _Refused
                    units, error = _budget_units(number, amount)
                    if error:
                        form.add_error("budgets", error)
                        raise _Refused
                    try:
                        services.budget_create(
                            actor=request.user,
                            process=process,
                            territory=place,
                            name=name,
                            amount_cents=units * UNIT_CENTS,
                            now=now,
                        )
                    except services.BudgetingError as exc:
                        form.add_error(
                            "budgets", _("línea %(n)d: %(m)s") % {"n": number, "m": exc.message}
                        )
                        raise _Refused from exc
                for name in [n.strip() for n in data["categories"].splitlines() if n.strip()]:
                    services.category_create(
                        actor=request.user, process=process, name=name, now=now
                    )
        except services.BudgetingError as exc:
            _form_error(form, exc)
        except _Refused:
            pass
        else:
            messages.success(request, _("Proceso creado."))
            return redirect("budgeting:process", slug=process.slug)
    # A POST that reaches here was refused.
    return render(
        request,
        "budgeting/process_new.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


_PROCESS_FIELDS = (
    "slug",
    "title",
    "description",
    "proposals_open_at",
    "review_open_at",
    "voting_open_at",
    "voting_close_at",
    "implementation_open_at",
    "rule",
    "satisfaction",
    "completion",
    "ballot_kind",
    "min_projects",
    "max_projects",
    "eligibility",
)


def _category_label(category: Any) -> str:
    if category.source_decision_id is None:
        return str(category.name)
    return _("%(name)s (necesidad prioritaria)") % {"name": category.name}


def _proposal_form(process: Process, data: Any = None, files: Any = None) -> ProposalForm:
    places = _locations(process)
    return ProposalForm(
        data,
        files,
        budgets=[(b.pk, b.name) for b in budgets_of(process)],
        locations=sorted(((pk, t.name) for pk, t in places.items()), key=lambda item: item[1]),
        categories=[(c.pk, _category_label(c)) for c in categories_of(process)],
    )


@login_required
@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(slug)
    now = _now()
    form = _proposal_form(process, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        budget = budget_of(process, budget_id=data["budget"])
        location = _locations(process)[data["location"]]
        category = category_of(process, category_id=data["category"])
        assert category is not None, "the form offers only this process's categories"
        image = None
        if data.get("image"):
            image = services.ImageUpload(data=data["image"].read(), alt_text=data["image_alt"])
        assert budget is not None
        try:
            project = services.project_propose(
                actor=request.user,
                process=process,
                budget=budget,
                title=data["title"],
                description=data["description"],
                estimated_cost_cents=data["estimated_cost"] * UNIT_CENTS,
                location=location,
                category=category,
                image=image,
                now=now,
            )
        except services.BudgetingError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Su propuesta fue enviada para revisión técnica."))
            return redirect("budgeting:project", pk=project.pk)
    return render(
        request,
        "budgeting/propose.html",
        {
            "process": process,
            "form": form,
            "phase": process_phase(process, at=now),
            "need_categories": [c for c in categories_of(process) if c.source_decision_id],
        },
        # A refused form is shown again with its errors, as a client error.
        status=400 if request.method == "POST" else 200,
    )


@login_required
def review_list(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(slug)
    if not access_process_as_official(request.user, process, at=_now()):
        return _forbidden()
    return render(
        request,
        "budgeting/review_list.html",
        {
            "process": process,
            "pending": projects_to_review(process),
            "reviewed": projects_of(process).exclude(status=ProjectStatus.SUBMITTED),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(pk)
    process = project.process
    if not access_process_as_official(request.user, process, at=_now()):
        return _forbidden()
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        adjusted = data["adjusted_cost"]
        try:
            services.project_review(
                actor=request.user,
                project=project,
                feasible=data["decision"] == "feasible",
                reason=data["reason"],
                adjusted_cost_cents=adjusted * UNIT_CENTS if adjusted is not None else None,
                now=_now(),
            )
        except services.BudgetingError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Revisión guardada."))
            return redirect("budgeting:review_list", slug=process.slug)
    return render(
        request,
        "budgeting/review.html",
        {"project": project, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(pk)
    is_official = access_process_as_official(request.user, project.process, at=_now())
    form = (
        UpdateForm(initial={"update_date": timezone.localtime(_now()).date()})
        if is_official
        else None
    )
    return render(
        request,
        "budgeting/project_detail.html",
        {
            "project": project,
            "process": project.process,
            "updates": project_updates(project),
            "images": list(project.images.all()),
            "form": form if project.selected else None,
        },
    )


@login_required
@require_POST
def project_update(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(pk)
    if not access_process_as_official(request.user, project.process, at=_now()):
        return _forbidden()
    form = UpdateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.project_update_record(
                actor=request.user,
                project=project,
                update_date=data["update_date"],
                status=data["status"],
                progress_percent=data["progress_percent"],
                spent_cents=data["spent"] * UNIT_CENTS,
                note=data["note"],
                now=_now(),
            )
        except services.BudgetingError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Informe de avance registrado."))
            return redirect("budgeting:project", pk=project.pk)
    return render(
        request,
        "budgeting/project_detail.html",
        {
            "project": project,
            "process": project.process,
            "updates": project_updates(project),
            "images": list(project.images.all()),
            "form": form,
        },
        status=400,
    )


def project_image(request: HttpRequest, pk: int, image_id: int) -> HttpResponse:
    project = _project(pk)
    image = project.images.filter(pk=image_id).first()
    if image is None:
        raise Http404(_("No existe esa imagen."))
    response = HttpResponse(bytes(image.data), content_type=image.content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def census_import(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(slug)
    if not access_process_as_official(request.user, process, at=_now()):
        return _forbidden()
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    errors: list[tuple[int, str]] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                added = services.census_import(
                    actor=request.user,
                    process=process,
                    csv_text=form.cleaned_data["file"],
                    now=_now(),
                )
            except services.BudgetingError as exc:
                errors = exc.errors
                form.add_error("file", exc.message.split("\n")[0])
            else:
                messages.success(
                    request, _("Censo importado: %(n)d personas añadidas.") % {"n": added}
                )
                return redirect("budgeting:process", slug=process.slug)
    return render(
        request,
        "budgeting/upload.html",
        {
            "process": process,
            "form": form,
            "errors": errors,
            "heading": _("Importar el censo"),
            "help": _(
                "Un CSV en UTF-8 con las columnas «cedula» y «parroquia» (código oficial del "
                "territorio donde vive la persona). Si una línea tiene un error, no se importa "
                "nada."
            ),
            "census_size": census_size(process),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def paper_upload(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(slug)
    if not access_process_as_official(request.user, process, at=_now()):
        return _forbidden()
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    errors: list[tuple[int, str]] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                batch = services.paper_ballots_upload(
                    actor=request.user,
                    process=process,
                    csv_text=form.cleaned_data["file"],
                    filename=str(getattr(request.FILES.get("file"), "name", "") or ""),
                    now=_now(),
                )
            except services.BudgetingError as exc:
                errors = exc.errors
                form.add_error("file", exc.message.split("\n")[0])
            else:
                messages.success(
                    request,
                    _("Papeletas en papel registradas: %(n)d.") % {"n": batch.ballots_count},
                )
                return redirect("budgeting:process", slug=process.slug)
    return render(
        request,
        "budgeting/upload.html",
        {
            "process": process,
            "form": form,
            "errors": errors,
            "heading": _("Subir papeletas en papel"),
            "help": _(
                "Un CSV en UTF-8 con las columnas «cedula», «presupuesto» (código del territorio "
                "del presupuesto) y «proyectos» (números de proyecto separados por «;»). Si una "
                "línea tiene un error, no se registra nada."
            ),
            "batches": process.paper_batches.select_related("uploaded_by").order_by("-uploaded_at"),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(slug)
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.census_claim(
                actor=request.user,
                process=process,
                identifier=form.cleaned_data["identifier"],
                now=_now(),
            )
        except services.BudgetingError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Su cédula está en el censo: ya puede votar."))
            return redirect("budgeting:process", slug=process.slug)
    return render(
        request,
        "budgeting/claim.html",
        {"process": process, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _receipts(request: HttpRequest) -> dict[str, str]:
    return dict(request.session.get(RECEIPT_SESSION_KEY, {}))


def _selected_ids(request: HttpRequest) -> list[int]:
    source = request.POST if request.method == "POST" else request.GET
    out = []
    for value in source.getlist("project"):
        try:
            out.append(int(value))
        except ValueError:
            continue
    return out


@login_required
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, slug: str, budget_id: int) -> HttpResponse:
    process = _process(slug)
    budget = _budget(process, budget_id)
    now = _now()
    entry = census_entry_of_user(process, user=request.user)
    if entry is None:
        messages.info(request, _("Antes de votar, verifique su cédula."))
        return redirect("budgeting:claim", slug=process.slug)
    receipts = _receipts(request)
    known_receipt = receipts.get(str(budget.pk), "")
    record = voter_record(budget, entry=entry)
    error = ""
    if request.method == "POST":
        selected = _selected_ids(request)
        receipt = request.POST.get("receipt", "") or known_receipt
        if request.POST.get("action") == "cast":
            try:
                code = services.ballot_cast(
                    actor=request.user,
                    entry=entry,
                    budget=budget,
                    project_ids=selected,
                    receipt=receipt,
                    now=now,
                )
            except services.BudgetingError as exc:
                error = exc.message
            else:
                receipts[str(budget.pk)] = code
                request.session[RECEIPT_SESSION_KEY] = receipts
                return redirect("budgeting:receipt", slug=process.slug, budget_id=budget.pk)
    else:
        ballot = ballot_by_receipt(budget, receipt=known_receipt) if known_receipt else None
        selected = ballot_project_ids(ballot) if ballot is not None else []
    return render(
        request,
        "budgeting/vote.html",
        {
            "process": process,
            "budget": budget,
            "phase": process_phase(process, at=now),
            "projects": ballot_projects(budget),
            "selected": set(selected),
            "bar": budget_bar(budget, project_ids=selected),
            "voted": record is not None,
            "paper": record is not None and record.channel == "paper",
            "known_receipt": known_receipt,
            "error": error,
            "may_vote": budget in budgets_open_to(process, entry=entry),
        },
        status=400 if error else 200,
    )


def vote_bar(request: HttpRequest, slug: str, budget_id: int) -> HttpResponse:
    """The budget bar alone, for HTMX to swap in as boxes are ticked."""
    process = _process(slug)
    budget = _budget(process, budget_id)
    return render(
        request,
        "budgeting/_budget_bar.html",
        {"bar": budget_bar(budget, project_ids=_selected_ids(request)), "process": process},
    )


@login_required
def receipt(request: HttpRequest, slug: str, budget_id: int) -> HttpResponse:
    process = _process(slug)
    budget = _budget(process, budget_id)
    code = _receipts(request).get(str(budget.pk), "")
    entry = census_entry_of_user(process, user=request.user)
    if not code or entry is None or not has_voted(budget, entry=entry):
        raise Http404(_("No hay un comprobante para mostrar."))
    ballot = ballot_by_receipt(budget, receipt=code)
    chosen = set(ballot_project_ids(ballot)) if ballot else set()
    return render(
        request,
        "budgeting/receipt.html",
        {
            "process": process,
            "budget": budget,
            "code": code,
            "voter_id": public_voter_id(receipt_sha256(code)),
            "projects": [p for p in ballot_projects(budget) if p.pk in chosen],
        },
    )


def receipt_check(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone holding a receipt code can see that its ballot is in the box and, once the
    results are out, under which id it appears in the published file."""
    process = _process(slug)
    form = ReceiptCheckForm(request.GET or None)
    found: dict[str, Any] | None = None
    if form.is_bound and form.is_valid():
        held = receipt_lookup(process, receipt=form.cleaned_data["receipt"])
        if held is not None:
            chosen = set(held.project_ids)
            found = {
                "budget": held.budget,
                "voter_id": held.voter_id,
                "projects": [p for p in ballot_projects(held.budget) if p.pk in chosen],
                "published": held.published,
            }
        if found is None:
            form.add_error("receipt", _("Ninguna papeleta de este proceso tiene ese código."))
    return render(
        request, "budgeting/receipt_check.html", {"process": process, "form": form, "found": found}
    )


def results(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(slug)
    now = _now()
    phase = process_phase(process, at=now)
    is_official = access_process_as_official(request.user, process, at=now)
    error = ""
    if request.method == "POST":
        if not is_official:
            return _forbidden()
        try:
            services.results_compute(actor=request.user, process=process, now=now)
        except services.BudgetingError as exc:
            error = exc.message
        else:
            messages.success(request, _("Resultados calculados y publicados."))
            return redirect("budgeting:results", slug=process.slug)
    budgets = results_of(process)
    by_category: dict[str, int] = defaultdict(int)
    by_territory: dict[str, int] = defaultdict(int)
    charts = []
    for item in budgets:
        for project in item.selected:
            by_category[project.category.name] += project.cost_cents
            by_territory[project.location.name] += project.cost_cents
        chosen = {p.pk for p in item.selected}
        greedy = {p.pk for p in item.greedy}
        charts.append(
            {
                "item": item,
                "chart_id": f"votes-{item.budget.pk}",
                "votes": bars(
                    [
                        (
                            p.title,
                            item.votes.get(p.pk, 0),
                            str(item.votes.get(p.pk, 0)),
                            p.pk in chosen,
                        )
                        for p in sorted(item.projects, key=lambda p: -item.votes.get(p.pk, 0))
                    ]
                ),
                "compare": [
                    {
                        "project": p,
                        "votes": item.votes.get(p.pk, 0),
                        "proportional": p.pk in chosen,
                        "greedy": p.pk in greedy,
                        "explanation": explanation_text(
                            item.explanations.get(p.pk, {}), currency=process.currency
                        ),
                    }
                    for p in item.projects
                ],
                "greedy_cost": sum(p.cost_cents for p in item.greedy),
                "turnout": turnout(item.budget),
            }
        )
    category_bars = bars(
        [
            (k, v, money_cents(v), False)
            for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])
        ]
    )
    territory_bars = bars(
        [
            (k, v, money_cents(v), False)
            for k, v in sorted(by_territory.items(), key=lambda kv: -kv[1])
        ]
    )
    return render(
        request,
        "budgeting/results.html",
        {
            "process": process,
            "phase": phase,
            "Phase": Phase,
            "charts": charts,
            "category_bars": category_bars,
            "territory_bars": territory_bars,
            "is_official": is_official,
            "can_compute": is_official
            and process.results_published_at is None
            and phase in (Phase.RESULTS, Phase.IMPLEMENTATION),
            "error": error,
            "tally_command": tally_command(process),
            "need_categories": [
                (c, by_category.get(c.name, 0))
                for c in categories_of(process)
                if c.source_decision_id is not None
            ],
        },
        status=400 if error else 200,
    )


def ballots_file(request: HttpRequest, slug: str, budget_id: int) -> HttpResponse:
    process = _process(slug)
    budget = _budget(process, budget_id)
    result = result_of(budget)
    if result is None:
        raise Http404(_("Las papeletas se publican con los resultados."))
    response = HttpResponse(result.pb_file, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{process.slug}-{budget.territory.code}.pb"'
    )
    return response
