"""The councils API at /api/v1/councils/: councils, terms, composition, elections with their
count sheets and BLT files, meetings, motions and votes by name. Reads are public; writes need
a signed-in session or an API token, and the same rights as the pages (an official of the
council's territory; the delegate of an organisation for its ballot)."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from minga.accounts.auth import TokenAuth, session_auth
from minga.apierrors import FieldError
from minga.core.roles import Role
from minga.territories.selectors import territory_by_code

from . import selectors, services
from .models import Council, Election, Meeting, Motion, Term

router = Router(tags=["councils"])
writer = [
    TokenAuth([Role.OFFICIAL, Role.ADMINISTRATOR, Role.DELEGATE, Role.COUNCIL_MEMBER]),
    session_auth,
]


class CouncilOut(Schema):
    id: int
    name: str
    country_code: str
    territory_code: str
    territory: str
    government_seats: int
    civil_seats: int
    first_chair_side: str
    term_length_months: int
    quorum_rule: str
    majority_rule: str


class TermOut(Schema):
    id: int
    number: int
    start_date: date
    end_date: date
    chair_side: str
    government_seats: int
    civil_seats: int


class SeatOut(Schema):
    seat_id: int
    side: str
    number: int
    vacant: bool
    mandate_id: int | None
    person_id: int | None
    person: str | None
    office: str
    source: str
    start_date: date | None


class CompositionOut(Schema):
    term: TermOut
    chair: str | None
    vice_chair: str | None
    vacancies: int
    seats: list[SeatOut]


class CouncilDetailOut(CouncilOut):
    composition: CompositionOut | None


class CandidateOut(Schema):
    number: int
    person_id: int
    person: str
    organization_id: int
    organization: str
    elected_rank: int | None


class ElectionOut(Schema):
    id: int
    council_id: int
    term: int
    seats: int
    status: str
    candidates: list[CandidateOut]
    roll_size: int
    ballots: int
    quota: str
    seed: int | None
    count_sheet: dict[str, Any] | None


class QuorumOut(Schema):
    rule: str
    seats_total: int
    present_total: int
    present_by_side: dict[str, int]
    reached: bool


class VoteOut(Schema):
    mandate_id: int
    person: str
    side: str
    vote: str


class MotionOut(Schema):
    id: int
    title: str
    text: str
    majority_rule: str
    outcome: str
    closed_at: datetime | None
    votes: list[VoteOut]


class AttendeeOut(Schema):
    mandate_id: int
    person: str
    side: str


class MeetingOut(Schema):
    id: int
    council_id: int
    term: int
    title: str
    starts_at: datetime
    place: str
    agenda: list[str]
    present: list[AttendeeOut]
    quorum: QuorumOut
    motions: list[MotionOut]
    minutes: str


class ErrorOut(Schema):
    message: str
    field: str


class CouncilIn(Schema):
    country: str = Field("EC", min_length=2, max_length=2)
    territory_code: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., min_length=1, max_length=200)
    government_seats: int = Field(..., ge=1, le=services.MAX_SEATS_PER_SIDE)
    civil_seats: int = Field(..., ge=1, le=services.MAX_SEATS_PER_SIDE)
    first_chair_side: str
    term_length_months: int = Field(services.DEFAULT_TERM_LENGTH_MONTHS, ge=1, le=120)
    quorum_rule: str = "parity"
    majority_rule: str = "simple"


class TermIn(Schema):
    start_date: date
    end_date: date | None = None
    chair_side: str | None = None


class DesignationIn(Schema):
    person_id: int
    start_date: date
    reference: str = Field("", max_length=200)


class BallotIn(Schema):
    organization_id: int
    preferences: list[int] = Field(..., max_length=1000)


class MeetingIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    starts_at: datetime
    place: str = Field("", max_length=200)
    agenda: list[str] = Field(default_factory=list, max_length=services.MAX_AGENDA_ITEMS)


class AttendanceIn(Schema):
    present: list[int] = Field(..., max_length=200)


class MotionIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    text: str = ""


class VotesIn(Schema):
    votes: dict[int, str]


class RecountIn(Schema):
    start_date: date


class RecountOut(Schema):
    mandate_id: int
    seat_id: int
    person_id: int
    person: str
    start_date: date
    departed_person_id: int
    recount_sheet: dict[str, Any]


class DecisionIn(Schema):
    text: str = Field(..., min_length=1, max_length=20_000)
    is_priority_need: bool = False
    service_category: str = ""
    country: str = Field("EC", min_length=2, max_length=2)
    territory_code: str | None = Field(None, min_length=1, max_length=20)


class DecisionOut(Schema):
    id: int
    motion_id: int
    council_id: int
    text: str
    is_priority_need: bool
    service_category: str
    territory_code: str | None
    published_at: datetime


class MinutesIn(Schema):
    minutes: str = Field(..., min_length=1, max_length=100_000)


# --- helpers ----------------------------------------------------------------------------------


def _call[T](fn: Callable[..., T], **kwargs: Any) -> T:
    try:
        return fn(**kwargs)
    except services.CouncilError as error:
        raise FieldError(400, error.message, error.field) from error


def _council(council_id: int) -> Council:
    council = selectors.council_by_id(council_id=council_id)
    if council is None:
        raise FieldError(404, "no such council", "council_id")
    return council


def _official(request: HttpRequest, council: Council) -> None:
    if not selectors.access_council_as_official(request.user, council):
        raise FieldError(
            403, "only an official of the council's territory may do this", "Authorization"
        )


def _council_out(c: Council) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "country_code": c.territory.country_code,
        "territory_code": c.territory.code,
        "territory": c.territory.name,
        "government_seats": c.government_seats,
        "civil_seats": c.civil_seats,
        "first_chair_side": c.first_chair_side,
        "term_length_months": c.term_length_months,
        "quorum_rule": c.quorum_rule,
        "majority_rule": c.majority_rule,
    }


def _term_out(t: Term) -> dict[str, Any]:
    return {
        "id": t.pk,
        "number": t.number,
        "start_date": t.start_date,
        "end_date": t.end_date,
        "chair_side": t.chair_side,
        "government_seats": t.government_seats,
        "civil_seats": t.civil_seats,
    }


def _composition_out(term: Term) -> dict[str, Any]:
    comp = selectors.composition(term=term)
    seats = []
    for _side, rows in comp.sides:
        for row in rows:
            m = row.mandate
            seats.append(
                {
                    "seat_id": row.seat.pk,
                    "side": row.seat.side,
                    "number": row.seat.number,
                    "vacant": row.vacant,
                    "mandate_id": m.pk if m else None,
                    "person_id": m.person_id if m else None,
                    "person": m.person.name if m else None,
                    "office": m.office if m else "",
                    "source": m.source if m else "",
                    "start_date": m.start_date if m else None,
                }
            )
    return {
        "term": _term_out(term),
        "chair": comp.chair.person.name if comp.chair else None,
        "vice_chair": comp.vice_chair.person.name if comp.vice_chair else None,
        "vacancies": comp.vacancies,
        "seats": seats,
    }


def _election_out(e: Election) -> dict[str, Any]:
    return {
        "id": e.pk,
        "council_id": e.term.council_id,
        "term": e.term.number,
        "seats": e.seats,
        "status": e.status,
        "candidates": [
            {
                "number": n.candidate_number,
                "person_id": n.person_id,
                "person": n.person.name,
                "organization_id": n.organization_id,
                "organization": n.organization.name,
                "elected_rank": n.elected_rank,
            }
            for n in selectors.candidates_of(election=e)
        ],
        "roll_size": selectors.roll_of(election=e).count(),
        "ballots": selectors.ballots_cast(election=e),
        "quota": e.quota,
        "seed": e.seed,
        "count_sheet": e.count_sheet,
    }


def _meeting_out(m: Meeting) -> dict[str, Any]:
    quorum = selectors.meeting_quorum(meeting=m)
    return {
        "id": m.pk,
        "council_id": m.council_id,
        "term": m.term.number,
        "title": m.title,
        "starts_at": m.starts_at,
        "place": m.place,
        "agenda": [a.title for a in m.agenda.all()],
        "present": [
            {"mandate_id": a.mandate_id, "person": a.mandate.person.name, "side": a.side}
            for a in selectors.attendance_of(meeting=m)
        ],
        "quorum": {
            "rule": quorum.rule,
            "seats_total": quorum.seats_total,
            "present_total": quorum.present_total,
            "present_by_side": quorum.present_by_side,
            "reached": quorum.reached,
        },
        "motions": [_motion_out(x) for x in selectors.motions_of(meeting=m)],
        "minutes": m.minutes if m.minutes_published_at else "",
    }


def _motion_out(x: Motion) -> dict[str, Any]:
    return {
        "id": x.pk,
        "title": x.title,
        "text": x.text,
        "majority_rule": x.majority_rule,
        "outcome": x.outcome,
        "closed_at": x.closed_at,
        "votes": [
            {
                "mandate_id": v.mandate_id,
                "person": v.mandate.person.name,
                "side": v.side,
                "vote": v.choice,
            }
            for v in selectors.votes_of(motion=x)
        ],
    }


def _now() -> datetime:
    return timezone.now()


# --- reads ------------------------------------------------------------------------------------


@router.get("/popolo", response=dict[str, list[dict[str, Any]]])
def popolo(request: HttpRequest) -> dict[str, list[dict[str, Any]]]:
    """The councils as Popolo: organisations, posts per seat and term, memberships with dates."""
    return selectors.popolo_document()


@router.get("/councils", response=list[CouncilOut])
def councils(request: HttpRequest) -> list[dict[str, Any]]:
    return [_council_out(c) for c in selectors.councils_list()]


@router.get("/councils/{council_id}", response={200: CouncilDetailOut, 404: ErrorOut})
def council(request: HttpRequest, council_id: int) -> dict[str, Any]:
    c = _council(council_id)
    term = selectors.term_current_or_last(council=c, on=_now().date())
    return {**_council_out(c), "composition": _composition_out(term) if term else None}


@router.get("/councils/{council_id}/terms", response={200: list[TermOut], 404: ErrorOut})
def terms(request: HttpRequest, council_id: int) -> list[dict[str, Any]]:
    return [_term_out(t) for t in selectors.terms_of(council=_council(council_id))]


@router.get("/terms/{term_id}/composition", response={200: CompositionOut, 404: ErrorOut})
def composition(request: HttpRequest, term_id: int) -> dict[str, Any]:
    term = selectors.term_by_id(term_id=term_id)
    if term is None:
        raise FieldError(404, "no such term", "term_id")
    return _composition_out(term)


@router.get("/councils/{council_id}/elections", response={200: list[ElectionOut], 404: ErrorOut})
def elections(request: HttpRequest, council_id: int) -> list[dict[str, Any]]:
    return [_election_out(e) for e in selectors.elections_of(council=_council(council_id))]


def _election(election_id: int) -> Election:
    election = selectors.election_by_id(election_id=election_id)
    if election is None:
        raise FieldError(404, "no such election", "election_id")
    return election


@router.get("/elections/{election_id}", response={200: ElectionOut, 404: ErrorOut})
def election(request: HttpRequest, election_id: int) -> dict[str, Any]:
    return _election_out(_election(election_id))


@router.get("/elections/{election_id}/ballots.blt", response={404: ErrorOut})
def election_blt(request: HttpRequest, election_id: int) -> HttpResponse:
    e = _election(election_id)
    if not e.blt:
        raise FieldError(404, "the ballots are published when the election is counted", "")
    response = HttpResponse(e.blt, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="minga-election-{e.pk}.blt"'
    return response


@router.get("/councils/{council_id}/meetings", response={200: list[MeetingOut], 404: ErrorOut})
def meetings(request: HttpRequest, council_id: int) -> list[dict[str, Any]]:
    return [_meeting_out(m) for m in selectors.meetings_of(council=_council(council_id))]


def _meeting(meeting_id: int) -> Meeting:
    meeting = selectors.meeting_by_id(meeting_id=meeting_id)
    if meeting is None:
        raise FieldError(404, "no such meeting", "meeting_id")
    return meeting


@router.get("/meetings/{meeting_id}", response={200: MeetingOut, 404: ErrorOut})
def meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    return _meeting_out(_meeting(meeting_id))


# --- writes -----------------------------------------------------------------------------------


@router.post(
    "/councils",
    auth=writer,
    response={201: CouncilOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def council_create(request: HttpRequest, payload: CouncilIn) -> Status:
    territory = territory_by_code(country_code=payload.country, code=payload.territory_code)
    if territory is None:
        raise FieldError(404, "no such territory", "territory_code")
    if not selectors.access_territory_as_official(request.user, territory):
        raise FieldError(403, "only an official of the territory may do this", "territory_code")
    c = _call(
        services.council_create,
        actor=request.user,
        territory=territory,
        name=payload.name,
        government_seats=payload.government_seats,
        civil_seats=payload.civil_seats,
        first_chair_side=payload.first_chair_side,
        term_length_months=payload.term_length_months,
        quorum_rule=payload.quorum_rule,
        majority_rule=payload.majority_rule,
        now=_now(),
    )
    return Status(201, _council_out(c))


@router.post(
    "/councils/{council_id}/terms",
    auth=writer,
    response={201: TermOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def term_create(request: HttpRequest, council_id: int, payload: TermIn) -> Status:
    c = _council(council_id)
    _official(request, c)
    t = _call(
        services.term_create,
        actor=request.user,
        council=c,
        start_date=payload.start_date,
        end_date=payload.end_date,
        chair_side=payload.chair_side,
        now=_now(),
    )
    return Status(201, _term_out(t))


@router.post(
    "/seats/{seat_id}/designation",
    auth=writer,
    response={201: SeatOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def seat_designate(request: HttpRequest, seat_id: int, payload: DesignationIn) -> Status:
    seat = selectors.seat_by_id(seat_id=seat_id)
    if seat is None:
        raise FieldError(404, "no such seat", "seat_id")
    _official(request, seat.term.council)
    person = selectors.person_by_id(person_id=payload.person_id)
    if person is None:
        raise FieldError(404, "no such person", "person_id")
    _call(
        services.seat_designate,
        actor=request.user,
        seat=seat,
        person=person,
        start_date=payload.start_date,
        reference=payload.reference,
        now=_now(),
    )
    seats = _composition_out(seat.term)["seats"]
    return Status(201, next(s for s in seats if s["seat_id"] == seat.pk))


@router.post(
    "/elections/{election_id}/ballots",
    auth=writer,
    response={201: ErrorOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def ballot_cast(request: HttpRequest, election_id: int, payload: BallotIn) -> Status:
    e = _election(election_id)
    organization = selectors.organization_by_id(organization_id=payload.organization_id)
    if organization is None:
        raise FieldError(404, "no such organization", "organization_id")
    if not selectors.access_organization_as_delegate_of(request.user, organization):
        raise FieldError(
            403, "only the organization's delegate casts its ballot", "organization_id"
        )
    _call(
        services.ballot_cast,
        actor=request.user,
        election=e,
        organization=organization,
        preferences=payload.preferences,
        now=_now(),
    )
    return Status(201, {"message": "ballot cast", "field": ""})


@router.post(
    "/councils/{council_id}/meetings",
    auth=writer,
    response={201: MeetingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def meeting_create(request: HttpRequest, council_id: int, payload: MeetingIn) -> Status:
    c = _council(council_id)
    _official(request, c)
    m = _call(
        services.meeting_create,
        actor=request.user,
        council=c,
        title=payload.title,
        starts_at=payload.starts_at,
        place=payload.place,
        agenda=payload.agenda,
        now=_now(),
    )
    return Status(201, _meeting_out(m))


@router.post(
    "/meetings/{meeting_id}/attendance",
    auth=writer,
    response={200: MeetingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def attendance(request: HttpRequest, meeting_id: int, payload: AttendanceIn) -> dict[str, Any]:
    m = _meeting(meeting_id)
    _official(request, m.council)
    members = {x.pk: x for x in selectors.members_at(meeting=m)}
    unknown = [i for i in payload.present if i not in members]
    if unknown:
        raise FieldError(400, f"mandate {unknown[0]} is not a member sitting on the day", "present")
    _call(
        services.meeting_attendance_record,
        actor=request.user,
        meeting=m,
        present=[members[i] for i in payload.present],
        now=_now(),
    )
    return _meeting_out(m)


@router.post(
    "/meetings/{meeting_id}/motions",
    auth=writer,
    response={201: MotionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def motion_create(request: HttpRequest, meeting_id: int, payload: MotionIn) -> Status:
    m = _meeting(meeting_id)
    _official(request, m.council)
    x = _call(
        services.motion_create,
        actor=request.user,
        meeting=m,
        title=payload.title,
        text=payload.text,
        now=_now(),
    )
    return Status(201, _motion_out(x))


@router.post(
    "/motions/{motion_id}/votes",
    auth=writer,
    response={200: MotionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def motion_votes(request: HttpRequest, motion_id: int, payload: VotesIn) -> dict[str, Any]:
    x = selectors.motion_by_id(motion_id=motion_id)
    if x is None:
        raise FieldError(404, "no such motion", "motion_id")
    _official(request, x.meeting.council)
    closed = _call(
        services.motion_votes_record,
        actor=request.user,
        motion=x,
        votes=payload.votes,
        now=_now(),
    )
    return _motion_out(closed)


def _decision_out(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "motion_id": d.motion_id,
        "council_id": d.council_id,
        "text": d.text,
        "is_priority_need": d.is_priority_need,
        "service_category": d.service_category,
        "territory_code": d.territory.code if d.territory_id else None,
        "published_at": d.published_at,
    }


@router.post(
    "/seats/{seat_id}/recount",
    auth=writer,
    response={201: RecountOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def seat_recount(request: HttpRequest, seat_id: int, payload: RecountIn) -> Status:
    """Fills a vacant civil seat by a recount of the stored ballots; answers with the recount
    sheet (who fills the seat and every stage)."""
    seat = selectors.seat_by_id(seat_id=seat_id)
    if seat is None:
        raise FieldError(404, "no such seat", "seat_id")
    _official(request, seat.term.council)
    mandate = _call(
        services.vacancy_fill_by_recount,
        actor=request.user,
        seat=seat,
        start_date=payload.start_date,
        now=_now(),
    )
    departed = selectors.mandate_departed_of_seat(seat=seat)
    assert departed is not None and mandate.recount_sheet is not None
    return Status(
        201,
        {
            "mandate_id": mandate.pk,
            "seat_id": seat.pk,
            "person_id": mandate.person_id,
            "person": mandate.person.name,
            "start_date": mandate.start_date,
            "departed_person_id": departed.person_id,
            "recount_sheet": mandate.recount_sheet,
        },
    )


@router.post(
    "/motions/{motion_id}/decision",
    auth=writer,
    response={201: DecisionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def decision_publish(request: HttpRequest, motion_id: int, payload: DecisionIn) -> Status:
    x = selectors.motion_by_id(motion_id=motion_id)
    if x is None:
        raise FieldError(404, "no such motion", "motion_id")
    _official(request, x.meeting.council)
    territory = None
    if payload.territory_code is not None:
        territory = territory_by_code(country_code=payload.country, code=payload.territory_code)
        if territory is None:
            raise FieldError(404, "no such territory", "territory_code")
    decision = _call(
        services.decision_publish,
        actor=request.user,
        motion=x,
        text=payload.text,
        is_priority_need=payload.is_priority_need,
        service_category=payload.service_category,
        territory=territory,
        now=_now(),
    )
    return Status(201, _decision_out(decision))


@router.post(
    "/meetings/{meeting_id}/minutes",
    auth=writer,
    response={200: MeetingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def minutes_publish(request: HttpRequest, meeting_id: int, payload: MinutesIn) -> dict[str, Any]:
    m = _meeting(meeting_id)
    _official(request, m.council)
    published = _call(
        services.meeting_minutes_publish,
        actor=request.user,
        meeting=m,
        minutes=payload.minutes,
        now=_now(),
    )
    return _meeting_out(selectors.meeting_by_id(meeting_id=published.pk) or published)
