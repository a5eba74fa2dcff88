"""The social income pages: public open books; the resident's wallet (confirm, dispute, rate,
who looked at their record); the provider's record-a-service form; the door-code page; the
official's programme page (import the registry, issue a month, expire credits) and household
record (every view logged). A refused form shows the service's message by its field and
changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .domain import parse_period, period_label, to_hours
from .forms import (
    BankAnswerForm,
    CategoryProposalForm,
    ChangeDecisionForm,
    CodeForm,
    ExpireForm,
    IssueForm,
    ParameterChangeForm,
    PutToBoardForm,
    RatingForm,
    RegistryForm,
    ServiceForm,
    SettleForm,
    mark_errors,
)
from .models import ParameterChange, Programme, Service
from .payments import FORMATS


def _programme_or_404(slug: str) -> Programme:
    programme = selectors.programme_by_slug(slug=slug)
    if programme is None:
        raise Http404(_("No existe ese programa."))
    return programme


def _refuse(form: Any, error: services.SocialIncomeError, field_map: dict[str, str]) -> None:
    field = field_map.get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)
    mark_errors(form)


def index(request: HttpRequest) -> HttpResponse:
    programmes = list(selectors.programmes_list())
    official_of = [p for p in programmes if selectors.access_programme_as_official(request.user, p)]
    provider_of = [
        p for p in programmes if selectors.delegated_accreditations(user=request.user, programme=p)
    ]
    return render(
        request,
        "socialincome/index.html",
        {
            "programmes": programmes,
            "official_of": official_of,
            "provider_of": provider_of,
            "households": selectors.households_of_user(user=request.user),
        },
    )


def books(request: HttpRequest, slug: str) -> HttpResponse:
    programme = _programme_or_404(slug)
    categories = selectors.categories_of(programme=programme)
    return render(
        request,
        "socialincome/books.html",
        {
            "programme": programme,
            "rows": list(selectors.books_rows(programme=programme)),
            "providers": list(selectors.provider_rows(programme=programme)),
            "identities": [selectors.identity(category=c) for c in categories],
            "categories": categories,
            "parameters": selectors.parameter_history(programme=programme),
            "changes": selectors.parameter_changes(programme=programme),
        },
    )


# --- the official -----------------------------------------------------------------------------


def _official_programme(request: HttpRequest, slug: str) -> Programme:
    programme = _programme_or_404(slug)
    if not selectors.access_programme_as_official(request.user, programme):
        raise PermissionDenied(_("Solo los funcionarios del territorio del programa."))
    return programme


def _change_rows(
    request: HttpRequest, programme: Programme, bound: dict[str, Any]
) -> list[dict[str, Any]]:
    """The proposals, newest first; each one still awaiting the board with its forms: record
    the board's decision (a closed motion of the board) and, for the board's officials, put it
    to a meeting of the board. A refused form is shown in place of the blank one."""
    motions = selectors.board_motions_closed(programme=programme)
    can_put = selectors.access_board_as_official(request.user, programme)
    meetings = (
        selectors.board_meetings_upcoming(programme=programme, now=timezone.now())
        if can_put
        else []
    )
    rows = []
    for change in selectors.parameter_changes(programme=programme)[:50]:
        row: dict[str, Any] = {"change": change, "values": sorted(change.values.items())}
        if change.status == ParameterChange.Status.PROPOSED:
            prefix = f"c{change.pk}"
            row["decide"] = bound.get(f"decide-{change.pk}") or ChangeDecisionForm(
                prefix=prefix, motions=motions
            )
            if can_put:
                row["board"] = bound.get(f"board-{change.pk}") or PutToBoardForm(
                    prefix=prefix, meetings=meetings
                )
        rows.append(row)
    return rows


def _programme_page(request: HttpRequest, programme: Programme, **forms: Any) -> HttpResponse:
    today = timezone.now().date()
    change_forms = forms.pop("change_forms", {})
    context = {
        "programme": programme,
        "issue_form": forms.get("issue_form") or IssueForm(),
        "expire_form": forms.get("expire_form") or ExpireForm(),
        "registry_form": forms.get("registry_form") or RegistryForm(),
        "settle_form": forms.get("settle_form") or SettleForm(),
        "answer_form": forms.get("answer_form") or BankAnswerForm(),
        "settlements": selectors.settlements_of(programme=programme)[:100],
        "batches": selectors.batches_of(programme=programme)[:12],
        "formats": list(FORMATS),
        "households": selectors.households_of(programme=programme)[:500],
        "periods": [period_label(p) for p in selectors.issued_periods(programme=programme)],
        "imports": selectors.imports_of(programme=programme)[:5],
        "accreditations": selectors.accreditations_of(programme=programme),
        "parameter_form": forms.get("parameter_form")
        or ParameterChangeForm(lines=selectors.parameter_lines(programme=programme, on=today)),
        "category_form": forms.get("category_form")
        or CategoryProposalForm(bands=selectors.bands_of(programme=programme)),
        "change_rows": _change_rows(request, programme, change_forms),
        "has_board": programme.board_id is not None,
    }
    bound = [
        f
        for f in [*forms.values(), *change_forms.values()]
        if f is not None and f.is_bound and f.errors
    ]
    return render(request, "socialincome/programme.html", context, status=400 if bound else 200)


@login_required
def programme_manage(request: HttpRequest, slug: str) -> HttpResponse:
    programme = _official_programme(request, slug)
    if request.method != "POST":
        return _programme_page(request, programme)
    action = request.POST.get("action")
    now = timezone.now()
    if action == "issue":
        form = IssueForm(request.POST)
        if form.is_valid():
            try:
                period = parse_period(form.cleaned_data["period"])
                report = services.month_issue(
                    actor=request.user, programme=programme, period=period, now=now
                )
            except ValueError:
                form.add_error(
                    "period", _("Escriba un mes válido: AAAA-MM, con el mes de 01 a 12.")
                )
            except services.SocialIncomeError as error:
                _refuse(form, error, {})
            else:
                messages.success(
                    request,
                    _("Mes %(p)s emitido: %(n)s créditos nuevos, %(d)s ya emitidos.")
                    % {"p": report.period, "n": report.written, "d": report.done_before},
                )
                return redirect("socialincome:manage", slug=slug)
        mark_errors(form)
        return _programme_page(request, programme, issue_form=form)
    if action == "expire":
        expire_form = ExpireForm(request.POST)
        if expire_form.is_valid():
            report = services.credits_expire(
                actor=request.user,
                programme=programme,
                as_of=expire_form.cleaned_data["as_of"],
                now=now,
            )
            messages.success(
                request,
                _("Créditos vencidos hasta %(p)s: %(a)s.")
                % {"p": report.period or "—", "a": report.amount},
            )
            return redirect("socialincome:manage", slug=slug)
        mark_errors(expire_form)
        return _programme_page(request, programme, expire_form=expire_form)
    if action == "import":
        registry_form = RegistryForm(request.POST, request.FILES)
        if registry_form.is_valid():
            upload = registry_form.cleaned_data["file"]
            try:
                run = services.registry_import(
                    actor=request.user,
                    programme=programme,
                    data=upload.read(),
                    filename=upload.name,
                    now=now,
                )
            except services.RegistryRefused as error:
                for e in error.errors[:50]:
                    registry_form.add_error("file", str(e))
            else:
                messages.success(
                    request,
                    _("Registro importado: %(r)s filas, %(c)s cambios.")
                    % {"r": run.rows, "c": len(run.changes)},
                )
                return redirect("socialincome:manage", slug=slug)
        mark_errors(registry_form)
        return _programme_page(request, programme, registry_form=registry_form)
    if action == "settle":
        settle_form = SettleForm(request.POST)
        if settle_form.is_valid():
            try:
                batch = services.settlement_create(
                    actor=request.user,
                    programme=programme,
                    until=settle_form.cleaned_data["until"],
                    now=now,
                )
            except services.SocialIncomeError as error:
                _refuse(settle_form, error, {})
            else:
                payments = selectors.payment_batch(batch=batch)
                messages.success(
                    request,
                    _("Liquidación hasta %(d)s: %(n)s pagos por enviar al banco.")
                    % {"d": batch.until_date.isoformat(), "n": len(payments.payments)},
                )
                return redirect("socialincome:manage", slug=slug)
        mark_errors(settle_form)
        return _programme_page(request, programme, settle_form=settle_form)
    if action in _GOVERNANCE:
        return _GOVERNANCE[action](request, programme)
    if action == "bank_answer":
        answer_form = BankAnswerForm(request.POST, request.FILES)
        if answer_form.is_valid():
            try:
                counts = services.settlement_results_import(
                    actor=request.user, data=answer_form.cleaned_data["answer"].read(), now=now
                )
            except services.SettlementResultRefused as error:
                for e in error.errors[:50]:
                    answer_form.add_error("answer", str(e))
            else:
                messages.success(
                    request,
                    _("Respuesta del banco: %(p)s pagados, %(r)s rechazados.")
                    % {"p": counts["paid"], "r": counts["rejected"]},
                )
                return redirect("socialincome:manage", slug=slug)
        mark_errors(answer_form)
        return _programme_page(request, programme, answer_form=answer_form)
    raise Http404(_("Acción desconocida."))


def _propose(request: HttpRequest, programme: Programme) -> HttpResponse:
    form = ParameterChangeForm(
        request.POST,
        lines=selectors.parameter_lines(programme=programme, on=timezone.now().date()),
    )
    if form.is_valid():
        values = form.changed_values()
        if not form.errors and not values:
            form.add_error(None, _("Cambie al menos un valor."))
        if not form.errors:
            try:
                change = services.parameter_change_propose(
                    actor=request.user,
                    programme=programme,
                    summary=form.cleaned_data["summary"],
                    values=values,
                    effective_date=form.cleaned_data["effective_date"],
                    now=timezone.now(),
                )
            except services.SocialIncomeError as error:
                _refuse(form, error, {error.field: form.field_of(error.field)})
            else:
                messages.success(
                    request,
                    _("Propuesta n.º %(n)s registrada: rige solo si el directorio la aprueba.")
                    % {"n": change.pk},
                )
                return redirect("socialincome:manage", slug=programme.slug)
    mark_errors(form)
    return _programme_page(request, programme, parameter_form=form)


def _propose_category(request: HttpRequest, programme: Programme) -> HttpResponse:
    form = CategoryProposalForm(request.POST, bands=selectors.bands_of(programme=programme))
    if form.is_valid():
        try:
            change = services.category_propose(
                actor=request.user,
                programme=programme,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                eligibility=form.cleaned_data["eligibility"],
                allotments=form.allotments(),
                summary=form.cleaned_data["summary"],
                effective_date=form.cleaned_data["effective_date"],
                now=timezone.now(),
            )
        except services.SocialIncomeError as error:
            _refuse(form, error, {error.field: form.field_of(error.field)})
        else:
            messages.success(
                request,
                _("Propuesta n.º %(n)s registrada: rige solo si el directorio la aprueba.")
                % {"n": change.pk},
            )
            return redirect("socialincome:manage", slug=programme.slug)
    mark_errors(form)
    return _programme_page(request, programme, category_form=form)


def _posted_change(request: HttpRequest, programme: Programme) -> ParameterChange:
    raw = request.POST.get("change", "")
    change = (
        selectors.parameter_change_by_id(programme=programme, change_id=int(raw))
        if raw.isdecimal()
        else None
    )
    if change is None:
        raise Http404(_("No existe esa propuesta."))
    return change


def _decide(request: HttpRequest, programme: Programme) -> HttpResponse:
    change = _posted_change(request, programme)
    form = ChangeDecisionForm(
        request.POST,
        prefix=f"c{change.pk}",
        motions=selectors.board_motions_closed(programme=programme),
    )
    if form.is_valid():
        try:
            decided = services.parameter_change_decide(
                actor=request.user,
                change=change,
                motion=selectors.motion_by_id(motion_id=form.cleaned_data["motion"]),
                now=timezone.now(),
            )
        except services.SocialIncomeError as error:
            _refuse(form, error, {"change": "motion", "effective_date": "motion"})
        else:
            messages.success(
                request,
                _("Propuesta n.º %(n)s: %(status)s.")
                % {"n": decided.pk, "status": decided.get_status_display().lower()},
            )
            return redirect("socialincome:manage", slug=programme.slug)
    mark_errors(form)
    return _programme_page(request, programme, change_forms={f"decide-{change.pk}": form})


def _put_to_board(request: HttpRequest, programme: Programme) -> HttpResponse:
    if not selectors.access_board_as_official(request.user, programme):
        raise PermissionDenied(_("Solo los funcionarios que gestionan el directorio."))
    change = _posted_change(request, programme)
    form = PutToBoardForm(
        request.POST,
        prefix=f"c{change.pk}",
        meetings=selectors.board_meetings_upcoming(programme=programme, now=timezone.now()),
    )
    if form.is_valid():
        try:
            motion = services.parameter_change_put_to_board(
                actor=request.user,
                change=change,
                meeting=selectors.board_meeting_by_id(
                    programme=programme, meeting_id=form.cleaned_data["meeting"]
                ),
                now=timezone.now(),
            )
        except services.SocialIncomeError as error:
            _refuse(form, error, {"change": "meeting"})
        else:
            messages.success(
                request,
                _("Propuesta n.º %(n)s en el orden del día de «%(m)s».")
                % {"n": change.pk, "m": motion.meeting.title},
            )
            return redirect("socialincome:manage", slug=programme.slug)
    mark_errors(form)
    return _programme_page(request, programme, change_forms={f"board-{change.pk}": form})


_GOVERNANCE = {
    "propose": _propose,
    "propose_category": _propose_category,
    "decide": _decide,
    "put_to_board": _put_to_board,
}


@login_required
def payment_file(request: HttpRequest, slug: str, batch_id: int, fmt: str) -> HttpResponse:
    """A batch's payment file (pending payments), in one of the registered formats."""
    programme = _official_programme(request, slug)
    batch = selectors.batch_by_id(programme=programme, batch_id=batch_id)
    if batch is None or fmt not in FORMATS:
        raise Http404(_("No existe ese archivo."))
    extension, writer = FORMATS[fmt]
    response = HttpResponse(
        writer(selectors.payment_batch(batch=batch)),
        content_type="text/csv" if extension == "csv" else "application/xml",
    )
    name = f"settlement-{programme.slug}-{batch.until_date.isoformat()}-{fmt}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def household_record(request: HttpRequest, slug: str, household_id: int) -> HttpResponse:
    programme = _official_programme(request, slug)
    household = selectors.household_by_id(programme=programme, household_id=household_id)
    if household is None:
        raise Http404(_("No existe ese hogar."))
    # Personal data: the view is logged, and the household's members can see who looked.
    services.record_view_log(viewer=request.user, household=household, now=timezone.now())
    return render(
        request,
        "socialincome/household.html",
        {
            "programme": programme,
            "household": household,
            "members": household.members.all(),
            "lines": selectors.wallet_lines(household=household, on=timezone.now().date()),
            "band": selectors.household_band(household=household, on=timezone.now().date()),
        },
    )


# --- the resident ---------------------------------------------------------------------------


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    today = timezone.now().date()
    households = [
        {
            "household": h,
            "lines": selectors.wallet_lines(household=h, on=today),
            "services": selectors.services_of_household(household=h)[:50],
            "history": selectors.wallet_history(household=h)[:100],
            "views": selectors.record_views_of(household=h)[:50],
        }
        for h in selectors.households_of_user(user=request.user)
    ]
    return render(
        request,
        "socialincome/wallet.html",
        {"households": households, "rating_form": RatingForm()},
    )


def _own_service(request: HttpRequest, service_id: int) -> Service:
    service = selectors.service_by_id(service_id=service_id)
    if service is None:
        raise Http404(_("No existe ese servicio."))
    if not selectors.access_household_as_member(request.user, service.wallet.household):
        raise PermissionDenied(_("Solo el hogar atendido confirma, impugna o valora un servicio."))
    return service


@login_required
@require_POST
def service_action(request: HttpRequest, service_id: int, action: str) -> HttpResponse:
    service = _own_service(request, service_id)
    now = timezone.now()
    try:
        if action == "confirm":
            services.service_confirm(actor=request.user, service=service, now=now)
            messages.success(request, _("Servicio confirmado."))
        elif action == "dispute":
            services.service_dispute(actor=request.user, service=service, now=now)
            messages.success(request, _("Servicio impugnado: los créditos vuelven a su saldo."))
        elif action == "rate":
            form = RatingForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Elija una valoración de 1 a 5."))
                return redirect("socialincome:wallet")
            services.service_rate(
                actor=request.user, service=service, rating=form.cleaned_data["rating"], now=now
            )
            messages.success(request, _("Gracias por su valoración."))
        else:
            raise Http404(_("Acción desconocida."))
    except services.SocialIncomeError as error:
        messages.error(request, error.message)
    return redirect("socialincome:wallet")


def code(request: HttpRequest) -> HttpResponse:
    """Confirm or dispute with the one-time code the provider gave at the door; no sign-in."""
    form = CodeForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.service_resolve_by_code(
                code=form.cleaned_data["code"],
                confirm=form.cleaned_data["decision"] == "confirm",
                now=timezone.now(),
            )
        except services.SocialIncomeError as error:
            _refuse(form, error, {"service": "code"})
    if form.is_bound:
        mark_errors(form)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "socialincome/code.html", {"form": form, "result": result}, status=status
    )


# --- the provider ---------------------------------------------------------------------------


@login_required
def provider(request: HttpRequest, slug: str) -> HttpResponse:
    programme = _programme_or_404(slug)
    mine = selectors.delegated_accreditations(user=request.user, programme=programme)
    if not mine:
        raise PermissionDenied(_("Solo los delegados de organizaciones acreditadas."))
    form = ServiceForm(request.POST or None)
    form.fields["accreditation"].choices = [  # type: ignore[attr-defined] # a ChoiceField
        (a.pk, f"{a.organization.name} · {a.category.name}") for a in mine
    ]
    recorded = None
    if request.method == "POST" and form.is_valid():
        accreditation = next(a for a in mine if a.pk == form.cleaned_data["accreditation"])
        try:
            recorded = services.service_record(
                actor=request.user,
                programme=programme,
                organization=accreditation.organization,
                category_code=accreditation.category.code,
                cedula=form.cleaned_data["cedula"],
                service_date=form.cleaned_data["service_date"],
                hours=form.cleaned_data["hours"],
                now=timezone.now(),
            )
        except services.SocialIncomeError as error:
            _refuse(
                form,
                error,
                {"organization": "accreditation", "category": "accreditation"},
            )
    if form.is_bound:
        mark_errors(form)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "socialincome/provider.html",
        {
            "programme": programme,
            "form": form,
            "recorded": recorded,
            "recorded_hours": to_hours(recorded.service.hundredths) if recorded else None,
            "services": selectors.services_recorded_by(accreditations=mine)[:50],
        },
        status=status,
    )
