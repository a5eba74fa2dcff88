"""The councils pages: public composition, terms, elections with their count sheets, meetings
with votes by name; officials' forms; the delegate's ballot. A refused form shows the service's
message next to the field at fault and changes nothing."""

import json
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .forms import (
    BallotForm,
    CouncilForm,
    DecisionForm,
    DesignationForm,
    MandateEndForm,
    MeetingForm,
    MinutesForm,
    MotionForm,
    NominationForm,
    OfficersForm,
    RecountForm,
    TermForm,
    VotesForm,
    mark_errors,
)
from .models import Council, Election, ElectionStatus, Meeting, Motion, Side, VoteChoice


def _run(form: django_forms.Form, call: Callable[[], Any]) -> Any:
    """Calls a service; a refusal goes onto the form, next to its field when the form has it."""
    try:
        return call()
    except services.CouncilError as error:
        field = error.field.split(".")[0] if error.field else None
        if field and field.startswith("preferences"):
            field = None
        form.add_error(field if field in form.fields else None, error.message)
        mark_errors(form)
        return None


def _form_page(request: HttpRequest, form: django_forms.Form, **context: Any) -> HttpResponse:
    if form.is_bound:
        mark_errors(form)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "councils/form.html", {"form": form, **context}, status=status)


def _council_or_404(council_id: int) -> Council:
    council = selectors.council_by_id(council_id=council_id)
    if council is None:
        raise Http404(_("No existe ese consejo."))
    return council


def _require_official(request: HttpRequest, council: Council) -> None:
    if not selectors.access_council_as_official(request.user, council):
        raise PermissionDenied(_("Solo un funcionario o funcionaria del territorio puede hacerlo."))


def _election_or_404(election_id: int) -> Election:
    election = selectors.election_by_id(election_id=election_id)
    if election is None:
        raise Http404(_("No existe esa elección."))
    return election


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = selectors.meeting_by_id(meeting_id=meeting_id)
    if meeting is None:
        raise Http404(_("No existe esa sesión."))
    return meeting


# --- public pages -----------------------------------------------------------------------------


def council_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "councils/council_list.html",
        {
            "councils": selectors.councils_list(),
            "can_create": bool(selectors.councils_territories_for(user=request.user)),
        },
    )


def council_detail(request: HttpRequest, council_id: int) -> HttpResponse:
    council = _council_or_404(council_id)
    today = timezone.localdate()
    term = selectors.term_current_or_last(council=council, on=today)
    election = selectors.election_of_term(term=term) if term else None
    return render(
        request,
        "councils/council_detail.html",
        {
            "council": council,
            "term": term,
            "composition": selectors.composition(term=term) if term else None,
            "election": election,
            "meetings": selectors.meetings_of(council=council)[:10],
            "decisions": selectors.decisions_of(council=council)[:10],
            "is_official": selectors.access_council_as_official(request.user, council),
        },
    )


def term_list(request: HttpRequest, council_id: int) -> HttpResponse:
    council = _council_or_404(council_id)
    terms = [
        {
            "term": t,
            "mandates": selectors.mandates_history(term=t),
            "election": selectors.election_of_term(term=t),
        }
        for t in selectors.terms_of(council=council)
    ]
    return render(request, "councils/term_list.html", {"council": council, "terms": terms})


def election_detail(request: HttpRequest, election_id: int) -> HttpResponse:
    election = _election_or_404(election_id)
    council = election.term.council
    delegate_entries = (
        selectors.roll_entries_for_delegate(election=election, user=request.user)
        if election.status == ElectionStatus.VOTING
        else []
    )
    return render(
        request,
        "councils/election_detail.html",
        {
            "election": election,
            "council": council,
            "nominations": selectors.nominations_of(election=election),
            "candidates": selectors.candidates_of(election=election),
            "stages": selectors.count_sheet_rows(election=election),
            "roll_size": selectors.roll_of(election=election).count(),
            "ballots_cast": selectors.ballots_cast(election=election),
            "is_official": selectors.access_council_as_official(request.user, council),
            "can_nominate": election.status == ElectionStatus.NOMINATING
            and bool(selectors.delegated_organization_ids(user=request.user)),
            "can_vote": any(not e.has_voted for e in delegate_entries),
        },
    )


def election_blt(request: HttpRequest, election_id: int) -> HttpResponse:
    election = _election_or_404(election_id)
    if not election.blt:
        raise Http404(_("Las papeletas se publican con el escrutinio."))
    response = HttpResponse(election.blt, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="minga-eleccion-{election.pk}.blt"'
    return response


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _votes_form(motion: Motion, meeting: Meeting, data: Any = None) -> VotesForm:
    # One prefix per motion: several open motions on one page keep distinct field ids.
    return VotesForm(
        data,
        present=list(selectors.attendance_of(meeting=meeting)),
        prefix=f"motion{motion.pk}",
    )


def _meeting_live(
    request: HttpRequest,
    meeting: Meeting,
    *,
    error: str = "",
    notice: str = "",
    forms: dict[int, VotesForm] | None = None,
    motion_form: MotionForm | None = None,
) -> dict[str, Any]:
    """What the live part of a meeting page shows: attendance, quorum and motions with their
    votes by name; for an official, the forms that change them (sent with HTMX when the
    browser runs it, as ordinary posts when it does not)."""
    is_official = selectors.access_council_as_official(request.user, meeting.council)
    present_ids = set(selectors.attendance_of(meeting=meeting).values_list("mandate_id", flat=True))
    motions = []
    any_votes = False
    for m in selectors.motions_of(meeting=meeting):
        votes = list(selectors.votes_of(motion=m))
        any_votes = any_votes or bool(votes)
        open_form = None
        if is_official and m.closed_at is None:
            open_form = (forms or {}).get(m.pk) or _votes_form(m, meeting)
        tally = selectors.motion_tally(motion=m)
        motions.append(
            {
                "motion": m,
                "votes": votes,
                "tally": tally,
                "yes": tally.total(VoteChoice.YES),
                "no": tally.total(VoteChoice.NO),
                "abstain": tally.total(VoteChoice.ABSTAIN),
                "votes_form": open_form,
                "has_decision": hasattr(m, "decision"),
            }
        )
    return {
        "meeting": meeting,
        "council": meeting.council,
        "attendance": selectors.attendance_of(meeting=meeting),
        "members": selectors.members_at(meeting=meeting),
        "present_ids": present_ids,
        "quorum": selectors.meeting_quorum(meeting=meeting),
        "motions": motions,
        "attendance_locked": any_votes,
        "is_official": is_official,
        "motion_form": motion_form or MotionForm(),
        "live_error": error,
        "live_notice": notice,
    }


def _live_response(request: HttpRequest, meeting: Meeting, **kwargs: Any) -> HttpResponse:
    """The HTMX answer: the live part of the meeting page, re-rendered. A refusal is shown in
    it (status 200, so that htmx swaps it in) and changed nothing."""
    response = render(
        request, "councils/_meeting_live.html", _meeting_live(request, meeting, **kwargs)
    )
    response["Vary"] = "HX-Request"
    return response


def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_or_404(meeting_id)
    return render(
        request,
        "councils/meeting_detail.html",
        {
            **_meeting_live(request, meeting),
            "agenda": meeting.agenda.all(),
            "minutes_form": MinutesForm(initial={"minutes": meeting.minutes}),
        },
    )


def recount_sheet(request: HttpRequest, mandate_id: int) -> HttpResponse:
    """The published sheet of the recount that filled a civil vacancy."""
    mandate = selectors.mandate_recounted_by_id(mandate_id=mandate_id)
    if mandate is None:
        raise Http404(_("No existe ese recuento."))
    election = selectors.election_of_term(term=mandate.term)
    assert election is not None and mandate.recount_sheet is not None
    recount = mandate.recount_sheet["recount"]
    return render(
        request,
        "councils/recount_sheet.html",
        {
            "mandate": mandate,
            "council": mandate.term.council,
            "election": election,
            "departed": selectors.mandate_departed_before(mandate=mandate),
            "candidates": selectors.candidates_of(election=election),
            "stages": selectors.recount_sheet_rows(mandate=mandate),
            "withdrawn": recount.get("withdrawn", []),
            "protected": recount.get("protected", []),
            "quota": recount.get("quota", ""),
        },
    )


@require_GET
def popolo_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        json.dumps(selectors.popolo_document(), ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="minga-consejos-popolo.json"'
    return response


# --- officials' forms -------------------------------------------------------------------------


@login_required
def council_create(request: HttpRequest) -> HttpResponse:
    territories = selectors.councils_territories_for(user=request.user)
    if not territories:
        raise PermissionDenied(_("Solo un funcionario o funcionaria puede constituir un consejo."))
    form = CouncilForm(request.POST or None, territories=territories)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        territory = next(t for t in territories if t.pk == d["territory"])
        council = _run(
            form,
            lambda: services.council_create(
                actor=request.user,
                territory=territory,
                name=d["name"],
                government_seats=d["government_seats"],
                civil_seats=d["civil_seats"],
                first_chair_side=d["first_chair_side"],
                term_length_months=d["term_length_months"],
                quorum_rule=d["quorum_rule"],
                majority_rule=d["majority_rule"],
                now=timezone.now(),
            ),
        )
        if council is not None:
            messages.success(request, _("Consejo constituido."))
            return redirect("councils:detail", council_id=council.pk)
    return _form_page(
        request,
        form,
        title=_("Constituir un consejo paritario"),
        intro=_(
            "Un consejo paritario tiene tantos puestos del gobierno local como de la sociedad "
            "civil. La presidencia se alterna entre los dos lados cada periodo."
        ),
        submit=_("Constituir"),
    )


@login_required
def term_create(request: HttpRequest, council_id: int) -> HttpResponse:
    council = _council_or_404(council_id)
    _require_official(request, council)
    form = TermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        term = _run(
            form,
            lambda: services.term_create(
                actor=request.user,
                council=council,
                start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"],
                now=timezone.now(),
            ),
        )
        if term is not None:
            messages.success(request, _("Periodo %(n)d abierto.") % {"n": term.number})
            return redirect("councils:detail", council_id=council.pk)
    return _form_page(
        request,
        form,
        council=council,
        title=_("Nuevo periodo de %(c)s") % {"c": council.name},
        intro=_("La presidencia del nuevo periodo corresponde al lado contrario al del anterior."),
        submit=_("Abrir el periodo"),
    )


@login_required
def seat_designate(request: HttpRequest, seat_id: int) -> HttpResponse:
    seat = selectors.seat_by_id(seat_id=seat_id)
    if seat is None:
        raise Http404(_("No existe ese puesto."))
    council = seat.term.council
    _require_official(request, council)
    form = DesignationForm(request.POST or None, persons=list(selectors.persons_for_choice()))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        mandate = _run(
            form,
            lambda: services.seat_designate(
                actor=request.user,
                seat=seat,
                person=selectors.person_by_id(person_id=d["person"]),
                start_date=d["start_date"],
                reference=d["reference"],
                now=timezone.now(),
            ),
        )
        if mandate is not None:
            messages.success(request, _("Designación registrada."))
            return redirect("councils:detail", council_id=council.pk)
    return _form_page(
        request,
        form,
        council=council,
        title=_("Designar el puesto %(s)s") % {"s": str(seat)},
        submit=_("Designar"),
    )


@login_required
def mandate_end(request: HttpRequest, mandate_id: int) -> HttpResponse:
    mandate = selectors.mandate_by_id(mandate_id=mandate_id)
    if mandate is None:
        raise Http404(_("No existe ese mandato."))
    council = mandate.term.council
    _require_official(request, council)
    form = MandateEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ended = _run(
            form,
            lambda: services.mandate_end(
                actor=request.user,
                mandate=mandate,
                end_date=form.cleaned_data["end_date"],
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            ),
        )
        if ended is not None:
            messages.success(request, _("El puesto queda vacante."))
            return redirect("councils:detail", council_id=council.pk)
    return _form_page(
        request,
        form,
        council=council,
        title=_("Fin del mandato de %(p)s") % {"p": mandate.person.name},
        submit=_("Registrar la vacante"),
    )


@login_required
def officers_appoint(request: HttpRequest, term_id: int) -> HttpResponse:
    term = selectors.term_by_id(term_id=term_id)
    if term is None:
        raise Http404(_("No existe ese periodo."))
    _require_official(request, term.council)
    members = list(selectors.mandates_open(term=term))
    form = OfficersForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        by_id = {m.pk: m for m in members}
        done = _run(
            form,
            lambda: services.term_officers_appoint(
                actor=request.user,
                term=term,
                chair=by_id[form.cleaned_data["chair"]],
                vice_chair=by_id[form.cleaned_data["vice_chair"]],
                now=timezone.now(),
            ),
        )
        if done is not None:
            messages.success(request, _("Presidencia y vicepresidencia designadas."))
            return redirect("councils:detail", council_id=term.council_id)
    return _form_page(
        request,
        form,
        council=term.council,
        title=_("Presidencia y vicepresidencia del periodo %(n)d") % {"n": term.number},
        intro=_("En este periodo la presidencia corresponde a: %(side)s.")
        % {"side": Side(term.chair_side).label},
        submit=_("Designar"),
    )


@login_required
@require_POST
def election_open(request: HttpRequest, term_id: int) -> HttpResponse:
    term = selectors.term_by_id(term_id=term_id)
    if term is None:
        raise Http404(_("No existe ese periodo."))
    _require_official(request, term.council)
    try:
        election = services.election_open(actor=request.user, term=term, now=timezone.now())
    except services.CouncilError as error:
        messages.error(request, error.message)
        return redirect("councils:detail", council_id=term.council_id)
    return redirect("councils:election", election_id=election.pk)


def _election_action(
    request: HttpRequest, election_id: int, action: Callable[..., Any], done: str
) -> HttpResponse:
    election = _election_or_404(election_id)
    _require_official(request, election.term.council)
    try:
        action(actor=request.user, election=election, now=timezone.now())
        messages.success(request, done)
    except services.CouncilError as error:
        messages.error(request, error.message)
    return redirect("councils:election", election_id=election.pk)


@login_required
@require_POST
def election_voting_open(request: HttpRequest, election_id: int) -> HttpResponse:
    return _election_action(
        request, election_id, services.election_voting_open, _("Votación abierta.")
    )


@login_required
@require_POST
def election_count(request: HttpRequest, election_id: int) -> HttpResponse:
    return _election_action(
        request, election_id, services.election_count, _("Escrutinio publicado.")
    )


@login_required
def nomination_create(request: HttpRequest, election_id: int) -> HttpResponse:
    election = _election_or_404(election_id)
    ids = selectors.delegated_organization_ids(user=request.user)
    organizations = [
        o
        for o in selectors.organizations_eligible(
            council=election.term.council, on=timezone.localdate()
        ).filter(pk__in=ids)
    ]
    if not organizations:
        raise PermissionDenied(
            _("Solo el delegado o la delegada de una organización habilitada puede nominar.")
        )
    form = NominationForm(
        request.POST or None,
        organizations=organizations,
        persons=list(selectors.persons_for_choice()),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        nomination = _run(
            form,
            lambda: services.nomination_create(
                actor=request.user,
                election=election,
                organization=next(o for o in organizations if o.pk == d["organization"]),
                person=selectors.person_by_id(person_id=d["person"]),
                now=timezone.now(),
            ),
        )
        if nomination is not None:
            messages.success(request, _("Nominación registrada; falta la aceptación."))
            return redirect("councils:election", election_id=election.pk)
    return _form_page(
        request,
        form,
        council=election.term.council,
        title=_("Nominar una candidatura"),
        submit=_("Nominar"),
    )


@login_required
@require_POST
def nomination_accept(request: HttpRequest, nomination_id: int) -> HttpResponse:
    nomination = selectors.nomination_by_id(nomination_id=nomination_id)
    if nomination is None:
        raise Http404(_("No existe esa nominación."))
    try:
        services.nomination_accept(actor=request.user, nomination=nomination, now=timezone.now())
        messages.success(request, _("Nominación aceptada."))
    except services.CouncilError as error:
        messages.error(request, error.message)
    return redirect("councils:election", election_id=nomination.election_id)


@login_required
def ballot(request: HttpRequest, election_id: int) -> HttpResponse:
    election = _election_or_404(election_id)
    entries = [
        e
        for e in selectors.roll_entries_for_delegate(election=election, user=request.user)
        if not e.has_voted
    ]
    if election.status != ElectionStatus.VOTING or not entries:
        raise PermissionDenied(
            _("No tiene una papeleta pendiente en esta elección (o la votación no está abierta).")
        )
    organizations = [e.organization for e in entries]
    candidates = selectors.candidates_of(election=election)
    form = BallotForm(request.POST or None, organizations=organizations, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        organization = next(o for o in organizations if o.pk == form.cleaned_data["organization"])
        cast = _run(
            form,
            lambda: services.ballot_cast(
                actor=request.user,
                election=election,
                organization=organization,
                preferences=form.preferences(),
                now=timezone.now(),
            ),
        )
        if cast is not None:
            messages.success(
                request,
                _("Papeleta de %(org)s depositada. Gracias por votar.")
                % {"org": organization.name},
            )
            return redirect("councils:election", election_id=election.pk)
    if form.is_bound:
        mark_errors(form)
    return render(
        request,
        "councils/ballot.html",
        {"election": election, "council": election.term.council, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def meeting_create(request: HttpRequest, council_id: int) -> HttpResponse:
    council = _council_or_404(council_id)
    _require_official(request, council)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        meeting = _run(
            form,
            lambda: services.meeting_create(
                actor=request.user,
                council=council,
                title=d["title"],
                starts_at=d["starts_at"],
                place=d["place"],
                agenda=form.agenda_items(),
                now=timezone.now(),
            ),
        )
        if meeting is not None:
            messages.success(request, _("Sesión convocada."))
            return redirect("councils:meeting", meeting_id=meeting.pk)
    return _form_page(
        request, form, council=council, title=_("Convocar una sesión"), submit=_("Convocar")
    )


@login_required
@require_POST
def meeting_attendance(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_or_404(meeting_id)
    _require_official(request, meeting.council)
    members = {m.pk: m for m in selectors.members_at(meeting=meeting)}
    chosen, error, notice = [], "", ""
    for value in request.POST.getlist("present"):
        if not value.isdecimal() or int(value) not in members:
            error = _("Asistencia: «%(v)s» no es un miembro.") % {"v": value}
            break
        chosen.append(members[int(value)])
    if not error:
        try:
            services.meeting_attendance_record(
                actor=request.user, meeting=meeting, present=chosen, now=timezone.now()
            )
            notice = _("Asistencia registrada.")
        except services.CouncilError as refusal:
            error = refusal.message
    if _is_htmx(request):
        return _live_response(request, meeting, error=error, notice=notice)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("councils:meeting", meeting_id=meeting.pk)


@login_required
@require_POST
def motion_create(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_or_404(meeting_id)
    _require_official(request, meeting.council)
    form = MotionForm(request.POST)
    motion = None
    if form.is_valid():
        motion = _run(
            form,
            lambda: services.motion_create(
                actor=request.user,
                meeting=meeting,
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                now=timezone.now(),
            ),
        )
    if _is_htmx(request):
        if motion is None:
            mark_errors(form)
            return _live_response(request, meeting, motion_form=form)
        return _live_response(
            request, meeting, notice=_("Moción presentada: %(m)s.") % {"m": motion.title}
        )
    if motion is not None:
        return redirect("councils:motion_votes", motion_id=motion.pk)
    return _form_page(
        request,
        form,
        council=meeting.council,
        title=_("Nueva moción"),
        submit=_("Presentar la moción"),
    )


@login_required
def motion_votes(request: HttpRequest, motion_id: int) -> HttpResponse:
    motion = selectors.motion_by_id(motion_id=motion_id)
    if motion is None:
        raise Http404(_("No existe esa moción."))
    meeting = motion.meeting
    _require_official(request, meeting.council)
    form = _votes_form(motion, meeting, request.POST or None)
    closed = None
    if request.method == "POST" and form.is_valid():
        closed = _run(
            form,
            lambda: services.motion_votes_record(
                actor=request.user, motion=motion, votes=form.votes(), now=timezone.now()
            ),
        )
    if request.method == "POST" and _is_htmx(request):
        if closed is None:
            mark_errors(form)
            errors = [str(e) for e in form.non_field_errors()]
            return _live_response(request, meeting, error=" ".join(errors), forms={motion.pk: form})
        return _live_response(
            request,
            meeting,
            notice=_("Votación registrada: %(o)s.") % {"o": closed.get_outcome_display()},
        )
    if closed is not None:
        messages.success(
            request, _("Votación registrada: %(o)s.") % {"o": closed.get_outcome_display()}
        )
        return redirect("councils:meeting", meeting_id=meeting.pk)
    quorum = selectors.meeting_quorum(meeting=meeting)
    return _form_page(
        request,
        form,
        council=meeting.council,
        title=_("Votación nominal: %(m)s") % {"m": motion.title},
        intro=_("Quórum alcanzado.") if quorum.reached else _("No hay quórum: no se puede votar."),
        submit=_("Registrar los votos y cerrar la votación"),
    )


@login_required
def seat_recount(request: HttpRequest, seat_id: int) -> HttpResponse:
    """Fills a vacant civil seat by a recount of the stored ballots. The page shows the recount
    sheet before the official confirms: who would take the seat, and every stage."""
    seat = selectors.seat_by_id(seat_id=seat_id)
    if seat is None:
        raise Http404(_("No existe ese puesto."))
    council = seat.term.council
    _require_official(request, council)
    form = RecountForm(request.POST or None, initial={"start_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        mandate = _run(
            form,
            lambda: services.vacancy_fill_by_recount(
                actor=request.user,
                seat=seat,
                start_date=form.cleaned_data["start_date"],
                now=timezone.now(),
            ),
        )
        if mandate is not None:
            messages.success(
                request,
                _("%(p)s ocupa el puesto por recuento.") % {"p": mandate.person.name},
            )
            return redirect("councils:recount_sheet", mandate_id=mandate.pk)
    if form.is_bound:
        mark_errors(form)
    plan = selectors.vacancy_recount(seat=seat)
    recount = plan.sheet["recount"] if plan.sheet else {}
    candidates = selectors.candidates_of(election=plan.election) if plan.election else []
    numbers = [n.candidate_number for n in candidates if n.candidate_number is not None]
    return render(
        request,
        "councils/recount.html",
        {
            "seat": seat,
            "council": council,
            "plan": plan,
            "form": form,
            "candidates": candidates,
            "stages": selectors.sheet_rows(sheet=recount, numbers=numbers),
            "withdrawn": recount.get("withdrawn", []),
            "protected": recount.get("protected", []),
            "quota": recount.get("quota", ""),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def decision_publish(request: HttpRequest, motion_id: int) -> HttpResponse:
    motion = selectors.motion_by_id(motion_id=motion_id)
    if motion is None:
        raise Http404(_("No existe esa moción."))
    council = motion.meeting.council
    _require_official(request, council)
    territories = [council.territory, *selectors.territories_under(territory=council.territory)]
    form = DecisionForm(request.POST or None, territories=territories)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        territory = next((t for t in territories if t.pk == d["territory"]), None)
        decision = _run(
            form,
            lambda: services.decision_publish(
                actor=request.user,
                motion=motion,
                text=d["text"],
                is_priority_need=d["is_priority_need"],
                service_category=d["service_category"],
                territory=territory,
                now=timezone.now(),
            ),
        )
        if decision is not None:
            messages.success(request, _("Decisión publicada."))
            return redirect("councils:meeting", meeting_id=motion.meeting_id)
    return _form_page(
        request,
        form,
        council=council,
        title=_("Publicar la decisión: %(m)s") % {"m": motion.title},
        submit=_("Publicar"),
    )


@login_required
@require_POST
def minutes_publish(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_or_404(meeting_id)
    _require_official(request, meeting.council)
    form = MinutesForm(request.POST)
    if form.is_valid():
        done = _run(
            form,
            lambda: services.meeting_minutes_publish(
                actor=request.user,
                meeting=meeting,
                minutes=form.cleaned_data["minutes"],
                now=timezone.now(),
            ),
        )
        if done is not None:
            messages.success(request, _("Acta publicada."))
            return redirect("councils:meeting", meeting_id=meeting.pk)
    return _form_page(
        request, form, council=meeting.council, title=_("Acta de la sesión"), submit=_("Publicar")
    )
