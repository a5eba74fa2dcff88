"""Writes of the councils app. Each function runs in one transaction and appends one audit event
in it; it refuses what the rules forbid with a named exception (carrying the field at fault)
and changes nothing when it does.

Authorisation (is this user an official of the council's territory?) is the caller's: pages and
API check it with minga.councils.selectors.access_council_as_official. What the rules of the
institution demand is checked here: parity, alternating chairs, officers from different sides,
terms that do not overlap, a seat never filled twice, one ballot per organisation cast by its
delegate, quorum before a vote."""

import calendar
import secrets
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from minga.core.services import audit_record
from minga.voting import blt as blt_format
from minga.voting import stv

from .models import (
    AgendaItem,
    Attendance,
    Ballot,
    Council,
    Decision,
    Election,
    ElectionStatus,
    MajorityRule,
    Mandate,
    Meeting,
    Motion,
    MotionOutcome,
    Nomination,
    Office,
    QuorumRule,
    RollEntry,
    Seat,
    ServiceCategory,
    Side,
    Source,
    Term,
    Vote,
    VoteChoice,
    other_side,
)
from .selectors import (
    access_council_as_official,
    access_organization_as_delegate_of,
    ballots_of,
    candidates_of,
    council_name_taken,
    mandates_open_on,
    meeting_quorum,
    motion_outcome,
    organization_is_eligible,
    organizations_eligible,
    person_holds_seat,
    person_is_candidate_pending,
    tally_votes,
    term_last,
    term_on,
    territory_is_within,
    vacancy_recount,
)

DEFAULT_TERM_LENGTH_MONTHS = 24  # two-year terms
MAX_SEATS_PER_SIDE = 50
MAX_AGENDA_ITEMS = 50
MAX_SEED = 2**31 - 1


class CouncilError(Exception):
    """A refused councils operation. `field` names the input at fault, for forms and the API."""

    field = ""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field or self.field


class InvalidInput(CouncilError):
    pass


class ParityViolation(CouncilError):
    field = "civil_seats"


class CouncilNameTaken(CouncilError):
    field = "name"


class TermOverlap(CouncilError):
    field = "start_date"


class ChairSideNotAlternating(CouncilError):
    field = "chair_side"


class OfficersSameSide(CouncilError):
    field = "vice_chair"


class OfficerNotSeated(CouncilError):
    pass


class SeatAlreadyFilled(CouncilError):
    field = "seat"


class SeatSideMismatch(CouncilError):
    field = "seat"


class PersonAlreadySeated(CouncilError):
    field = "person"


class DateOutsideTerm(CouncilError):
    field = "start_date"


class MandateAlreadyEnded(CouncilError):
    field = "mandate"


class ElectionExists(CouncilError):
    field = "term"


class ElectionStateInvalid(CouncilError):
    field = "status"


class OrganizationNotEligible(CouncilError):
    field = "organization"


class NotDelegate(CouncilError):
    field = "organization"


class AlreadyNominated(CouncilError):
    field = "person"


class NotTheCandidate(CouncilError):
    field = "nomination"


class NominationAlreadyAccepted(CouncilError):
    field = "nomination"


class NoCandidates(CouncilError):
    field = "nominations"


class EmptyRoll(CouncilError):
    field = "roll"


class NotOnRoll(CouncilError):
    field = "organization"


class AlreadyVoted(CouncilError):
    field = "organization"


class BallotInvalid(CouncilError):
    field = "preferences"


class NoBallots(CouncilError):
    field = "ballots"


class SeatNotVacant(CouncilError):
    field = "seat"


class NoCandidateLeft(CouncilError):
    field = "seat"


class NoTermAtDate(CouncilError):
    field = "starts_at"


class AttendanceInvalid(CouncilError):
    field = "present"


class AttendanceLocked(CouncilError):
    field = "present"


class MotionClosed(CouncilError):
    field = "motion"


class NoQuorum(CouncilError):
    field = "votes"


class VoteInvalid(CouncilError):
    field = "votes"


class MotionNotPassed(CouncilError):
    field = "motion"


class DecisionExists(CouncilError):
    field = "motion"


class DecisionInvalid(CouncilError):
    pass


class MinutesInvalid(CouncilError):
    field = "minutes"


# --- helpers ----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days (a term
    starting on 29 February 2024 ends on 28 February 2026)."""
    assert months >= 0
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _text(value: str, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise InvalidInput(_("%(label)s es obligatorio.") % {"label": label}, field)
    if len(cleaned) > max_length:
        raise InvalidInput(
            _("%(label)s tiene más de %(n)d caracteres.") % {"label": label, "n": max_length},
            field,
        )
    return cleaned


def _side_label(side: str) -> str:
    return str(Side(side).label)


def _council_audit(c: Council) -> dict[str, Any]:
    return {
        "name": c.name,
        "territory": f"{c.territory.country_code}:{c.territory.code}",
        "government_seats": c.government_seats,
        "civil_seats": c.civil_seats,
        "first_chair_side": c.first_chair_side,
        "term_length_months": c.term_length_months,
        "quorum_rule": c.quorum_rule,
        "majority_rule": c.majority_rule,
    }


def _term_audit(t: Term) -> dict[str, Any]:
    return {
        "council": t.council_id,
        "number": t.number,
        "start_date": t.start_date.isoformat(),
        "end_date": t.end_date.isoformat(),
        "chair_side": t.chair_side,
        "government_seats": t.government_seats,
        "civil_seats": t.civil_seats,
    }


def _mandate_audit(m: Mandate) -> dict[str, Any]:
    return {
        "term": m.term_id,
        "seat": m.seat_id,
        "side": m.side,
        "person": m.person_id,
        "source": m.source,
        "office": m.office,
        "reference": m.reference,
        "start_date": m.start_date.isoformat(),
        "end_date": m.end_date.isoformat() if m.end_date else None,
        "end_reason": m.end_reason,
    }


# --- councils and terms -----------------------------------------------------------------------


@transaction.atomic
def council_create(
    *,
    actor: Any,
    territory: Any,
    name: str,
    government_seats: int,
    civil_seats: int,
    first_chair_side: str,
    term_length_months: int = DEFAULT_TERM_LENGTH_MONTHS,
    quorum_rule: str = QuorumRule.PARITY,
    majority_rule: str = MajorityRule.SIMPLE,
    now: datetime,
) -> Council:
    """Constitutes a joint council of a territory. Parity: as many government seats as civil
    seats. The side of the first term's Chair is chosen here; it alternates after."""
    if territory is None:
        raise InvalidInput(_("El territorio es obligatorio."), "territory")
    name = _text(name, field="name", label=_("El nombre"), max_length=200)
    for value, fld in ((government_seats, "government_seats"), (civil_seats, "civil_seats")):
        if not isinstance(value, int) or not 1 <= value <= MAX_SEATS_PER_SIDE:
            raise InvalidInput(
                _("El número de puestos debe estar entre 1 y %(n)d.") % {"n": MAX_SEATS_PER_SIDE},
                fld,
            )
    if government_seats != civil_seats:
        raise ParityViolation(
            _(
                "Paridad: el consejo debe tener tantos puestos del gobierno como de la sociedad "
                "civil (%(g)d y %(c)d)."
            )
            % {"g": government_seats, "c": civil_seats}
        )
    if first_chair_side not in Side.values:
        raise InvalidInput(
            _("Lado desconocido: «%(s)s».") % {"s": first_chair_side}, "first_chair_side"
        )
    if not isinstance(term_length_months, int) or not 1 <= term_length_months <= 120:
        raise InvalidInput(
            _("La duración del periodo debe estar entre 1 y 120 meses."), "term_length_months"
        )
    if quorum_rule not in QuorumRule.values:
        raise InvalidInput(
            _("Regla de quórum desconocida: «%(r)s».") % {"r": quorum_rule}, "quorum_rule"
        )
    if majority_rule not in MajorityRule.values:
        raise InvalidInput(
            _("Regla de mayoría desconocida: «%(r)s».") % {"r": majority_rule}, "majority_rule"
        )
    if council_name_taken(territory=territory, name=name):
        raise CouncilNameTaken(
            _("Ya existe un consejo «%(name)s» en %(t)s.") % {"name": name, "t": territory.name}
        )
    council = Council.objects.create(
        name=name,
        territory=territory,
        government_seats=government_seats,
        civil_seats=civil_seats,
        first_chair_side=first_chair_side,
        term_length_months=term_length_months,
        quorum_rule=quorum_rule,
        majority_rule=majority_rule,
        created_at=now,
        updated_at=now,
    )
    assert council.government_seats == council.civil_seats
    audit_record(
        actor=actor,
        action="council.create",
        object_type="councils.Council",
        object_id=council.pk,
        after=_council_audit(council),
        now=now,
    )
    return council


@transaction.atomic
def term_create(
    *,
    actor: Any,
    council: Council,
    start_date: date,
    end_date: date | None = None,
    chair_side: str | None = None,
    government_seats: int | None = None,
    civil_seats: int | None = None,
    now: datetime,
) -> Term:
    """Opens the next term of a council, with its seats. It lasts the council's term length
    unless `end_date` says otherwise; it starts on or after the end of the previous term (terms
    never overlap); its Chair's side is the other side from the previous term's (the first
    term's is the council's `first_chair_side`). Seats default to the council's, at parity."""
    # Lock the council: two terms created at once would both see the same "previous term".
    council = Council.objects.select_for_update().select_related("territory").get(pk=council.pk)
    if not isinstance(start_date, date):
        raise InvalidInput(_("La fecha de inicio es obligatoria."), "start_date")
    if end_date is None:
        try:
            end_date = add_months(start_date, council.term_length_months)
        except ValueError as error:  # past year 9999
            raise InvalidInput(
                _("La fecha de inicio está fuera de rango."), "start_date"
            ) from error
    if end_date <= start_date:
        raise InvalidInput(_("El periodo debe terminar después de empezar."), "end_date")
    government = council.government_seats if government_seats is None else government_seats
    civil = council.civil_seats if civil_seats is None else civil_seats
    for value, fld in ((government, "government_seats"), (civil, "civil_seats")):
        if not isinstance(value, int) or not 1 <= value <= MAX_SEATS_PER_SIDE:
            raise InvalidInput(
                _("El número de puestos debe estar entre 1 y %(n)d.") % {"n": MAX_SEATS_PER_SIDE},
                fld,
            )
    if government != civil:
        raise ParityViolation(
            _(
                "Paridad: el periodo debe tener tantos puestos del gobierno como de la sociedad "
                "civil (%(g)d y %(c)d)."
            )
            % {"g": government, "c": civil}
        )
    previous = term_last(council=council)
    if previous is not None and start_date < previous.end_date:
        raise TermOverlap(
            _(
                "El periodo se superpone con el periodo %(n)d (del %(s)s al %(e)s): debe "
                "empezar el %(e)s o después."
            )
            % {
                "n": previous.number,
                "s": previous.start_date.isoformat(),
                "e": previous.end_date.isoformat(),
            }
        )
    expected_side = (
        council.first_chair_side if previous is None else other_side(previous.chair_side)
    )
    if chair_side is not None and chair_side not in Side.values:
        raise InvalidInput(_("Lado desconocido: «%(s)s».") % {"s": chair_side}, "chair_side")
    if chair_side is not None and chair_side != expected_side:
        if previous is None:
            raise ChairSideNotAlternating(
                _("La presidencia del primer periodo corresponde a: %(side)s.")
                % {"side": _side_label(expected_side)}
            )
        raise ChairSideNotAlternating(
            _(
                "La presidencia se alterna: el periodo %(n)d la tuvo %(prev)s, así que este "
                "periodo corresponde a: %(side)s."
            )
            % {
                "n": previous.number,
                "prev": _side_label(previous.chair_side),
                "side": _side_label(expected_side),
            }
        )
    term = Term.objects.create(
        council=council,
        number=1 if previous is None else previous.number + 1,
        start_date=start_date,
        end_date=end_date,
        government_seats=government,
        civil_seats=civil,
        chair_side=expected_side,
        created_at=now,
    )
    Seat.objects.bulk_create(
        [Seat(term=term, side=Side.GOVERNMENT, number=n) for n in range(1, government + 1)]
        + [Seat(term=term, side=Side.CIVIL, number=n) for n in range(1, civil + 1)]
    )
    assert previous is None or term.chair_side != previous.chair_side, "the chair alternates"
    audit_record(
        actor=actor,
        action="term.create",
        object_type="councils.Term",
        object_id=term.pk,
        after=_term_audit(term),
        now=now,
    )
    return term


def _check_can_seat(*, seat: Seat, person: Any, start_date: date) -> None:
    term = seat.term
    if Mandate.objects.filter(seat=seat, end_date__isnull=True).exists():
        raise SeatAlreadyFilled(
            _("El puesto %(seat)s del periodo %(n)d ya está ocupado.")
            % {"seat": str(seat), "n": term.number}
        )
    if person is None:
        raise InvalidInput(_("La persona es obligatoria."), "person")
    if Mandate.objects.filter(term=term, person=person, end_date__isnull=True).exists():
        raise PersonAlreadySeated(
            _("%(person)s ya ocupa un puesto en el periodo %(n)d.")
            % {"person": person.name, "n": term.number}
        )
    if not isinstance(start_date, date) or not term.start_date <= start_date < term.end_date:
        raise DateOutsideTerm(
            _("La fecha debe estar dentro del periodo (del %(s)s al %(e)s).")
            % {"s": term.start_date.isoformat(), "e": term.end_date.isoformat()}
        )
    ended_later = Mandate.objects.filter(seat=seat, end_date__gt=start_date).exists()
    if ended_later:
        raise DateOutsideTerm(
            _("El puesto tuvo titular hasta una fecha posterior: elija otra fecha de inicio.")
        )


@transaction.atomic
def seat_designate(
    *,
    actor: Any,
    seat: Seat,
    person: Any,
    start_date: date,
    reference: str = "",
    now: datetime,
) -> Mandate:
    """An official of the territory designates a person to a government seat (also to fill a
    government vacancy). A seat is never filled twice."""
    seat = Seat.objects.select_for_update().select_related("term__council").get(pk=seat.pk)
    if seat.side != Side.GOVERNMENT:
        raise SeatSideMismatch(
            _("Los puestos de la sociedad civil se eligen; solo los del gobierno se designan.")
        )
    reference = _text(
        reference, field="reference", label=_("La referencia"), max_length=200, required=False
    )
    _check_can_seat(seat=seat, person=person, start_date=start_date)
    # One seat per person per term: a candidate of the civil election still to be counted may
    # be given a civil seat by the count.
    if person_is_candidate_pending(term=seat.term, person=person):
        raise PersonAlreadySeated(
            _(
                "%(person)s es candidato/a a un puesto de la sociedad civil en la elección del "
                "periodo %(n)d, que aún no se ha escrutado."
            )
            % {"person": person.name, "n": seat.term.number},
            "person",
        )
    mandate = Mandate.objects.create(
        seat=seat,
        term=seat.term,
        side=seat.side,
        person=person,
        source=Source.DESIGNATION,
        reference=reference,
        designated_by=actor if getattr(actor, "pk", None) else None,
        start_date=start_date,
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="seat.designate",
        object_type="councils.Mandate",
        object_id=mandate.pk,
        after=_mandate_audit(mandate),
        now=now,
    )
    return mandate


@transaction.atomic
def mandate_end(
    *, actor: Any, mandate: Mandate, end_date: date, reason: str, now: datetime
) -> Mandate:
    """A member leaves: the seat is vacant from `end_date` until it is filled again (civil by a
    recount of the ballots, government by a new designation). An office held goes with it."""
    current = Mandate.objects.select_for_update().select_related("term").get(pk=mandate.pk)
    if current.end_date is not None:
        raise MandateAlreadyEnded(_("Este mandato ya terminó."))
    reason = _text(reason, field="reason", label=_("El motivo"), max_length=300)
    if not isinstance(end_date, date) or end_date < current.start_date:
        raise InvalidInput(
            _("La fecha de fin no puede ser anterior al inicio del mandato (%(d)s).")
            % {"d": current.start_date.isoformat()},
            "end_date",
        )
    if end_date > current.term.end_date:
        raise InvalidInput(
            _("La fecha de fin no puede ser posterior al fin del periodo (%(d)s).")
            % {"d": current.term.end_date.isoformat()},
            "end_date",
        )
    before = _mandate_audit(current)
    current.end_date, current.end_reason = end_date, reason
    current.save(update_fields=["end_date", "end_reason"])
    audit_record(
        actor=actor,
        action="mandate.end",
        object_type="councils.Mandate",
        object_id=current.pk,
        before=before,
        after=_mandate_audit(current),
        now=now,
    )
    return current


@transaction.atomic
def term_officers_appoint(
    *, actor: Any, term: Term, chair: Mandate, vice_chair: Mandate, now: datetime
) -> Term:
    """Appoints the Chair and the Vice Chair of a term from its sitting members: one from
    government and the other from civil society, the Chair from the term's chair side. It
    replaces the previous officers (also to fill an office left vacant)."""
    term = Term.objects.select_for_update().get(pk=term.pk)
    locked = {
        m.pk: m
        for m in Mandate.objects.select_for_update()
        .filter(pk__in=sorted({chair.pk, vice_chair.pk}))
        .select_related("person")
        .order_by("pk")
    }
    chair, vice_chair = locked[chair.pk], locked[vice_chair.pk]
    for mandate, fld in ((chair, "chair"), (vice_chair, "vice_chair")):
        if mandate.term_id != term.pk or mandate.end_date is not None:
            raise OfficerNotSeated(
                _("%(person)s no es miembro en funciones de este periodo.")
                % {"person": mandate.person.name},
                fld,
            )
    if chair.side == vice_chair.side:
        raise OfficersSameSide(
            _(
                "La presidencia y la vicepresidencia deben ser de lados distintos: una del "
                "gobierno y otra de la sociedad civil."
            )
        )
    if chair.side != term.chair_side:
        raise ChairSideNotAlternating(
            _("En el periodo %(n)d la presidencia corresponde a: %(side)s.")
            % {"n": term.number, "side": _side_label(term.chair_side)},
            "chair",
        )
    officers = Mandate.objects.filter(term=term, end_date__isnull=True).exclude(office="")
    before = {m.office: m.person_id for m in officers}
    officers.update(office="")
    Mandate.objects.filter(pk=chair.pk).update(office=Office.CHAIR)
    Mandate.objects.filter(pk=vice_chair.pk).update(office=Office.VICE_CHAIR)
    assert chair.side != vice_chair.side and chair.side == term.chair_side
    audit_record(
        actor=actor,
        action="term.officers_appoint",
        object_type="councils.Term",
        object_id=term.pk,
        before=before,
        after={Office.CHAIR: chair.person_id, Office.VICE_CHAIR: vice_chair.person_id},
        now=now,
    )
    return term


# --- the civil election -----------------------------------------------------------------------


def _election_locked(election: Election) -> Election:
    return (
        Election.objects.select_for_update()
        .select_related("term__council__territory")
        .get(pk=election.pk)
    )


def _require_status(election: Election, status: str, message: str) -> None:
    if election.status != status:
        raise ElectionStateInvalid(message)


@transaction.atomic
def election_open(*, actor: Any, term: Term, now: datetime) -> Election:
    """Opens the election of a term's civil seats: nominations first."""
    term = Term.objects.select_for_update().get(pk=term.pk)
    if Election.objects.filter(term=term).exists():
        raise ElectionExists(_("El periodo %(n)d ya tiene su elección.") % {"n": term.number})
    election = Election.objects.create(
        term=term, seats=term.civil_seats, status=ElectionStatus.NOMINATING, opened_at=now
    )
    audit_record(
        actor=actor,
        action="election.open",
        object_type="councils.Election",
        object_id=election.pk,
        after={"term": term.pk, "seats": election.seats, "status": election.status},
        now=now,
    )
    return election


def _seated_candidate_message(person: Any, term: Term) -> str:
    return _(
        "%(person)s ya ocupa un puesto en el periodo %(n)d: no puede ser candidato/a a un "
        "puesto de la sociedad civil."
    ) % {"person": person.name, "n": term.number}


@transaction.atomic
def nomination_create(
    *, actor: Any, election: Election, organization: Any, person: Any, now: datetime
) -> Nomination:
    """A solidarity-economy organisation of the territory, through its delegate, nominates a
    person. The person becomes a candidate when they accept."""
    election = _election_locked(election)
    _require_status(
        election, ElectionStatus.NOMINATING, _("Las nominaciones de esta elección están cerradas.")
    )
    if organization is None:
        raise InvalidInput(_("La organización es obligatoria."), "organization")
    if person is None:
        raise InvalidInput(_("La persona es obligatoria."), "person")
    if not access_organization_as_delegate_of(actor, organization):
        raise NotDelegate(
            _("Solo el delegado o la delegada de %(org)s puede nominar en su nombre.")
            % {"org": organization.name}
        )
    council = election.term.council
    if not organization_is_eligible(council=council, organization=organization, on=now.date()):
        raise OrganizationNotEligible(
            _(
                "%(org)s no vota en esta elección: solo las organizaciones de la economía "
                "popular y solidaria registradas en %(t)s."
            )
            % {"org": organization.name, "t": council.territory.name}
        )
    if person_holds_seat(term=election.term, person=person):
        raise PersonAlreadySeated(_seated_candidate_message(person, election.term), "person")
    if Nomination.objects.filter(election=election, person=person).exists():
        raise AlreadyNominated(
            _("%(person)s ya está nominado/a en esta elección.") % {"person": person.name}
        )
    nomination = Nomination.objects.create(
        election=election, organization=organization, person=person, nominated_at=now
    )
    audit_record(
        actor=actor,
        action="nomination.create",
        object_type="councils.Nomination",
        object_id=nomination.pk,
        after={"election": election.pk, "organization": organization.pk, "person": person.pk},
        now=now,
    )
    return nomination


@transaction.atomic
def nomination_accept(*, actor: Any, nomination: Nomination, now: datetime) -> Nomination:
    """The nominated person accepts: signed in with the account linked to them, or through an
    official of the territory who records their written acceptance (the audit event says who)."""
    nomination = (
        Nomination.objects.select_for_update()
        .select_related("election__term__council__territory", "person")
        .get(pk=nomination.pk)
    )
    _require_status(
        nomination.election,
        ElectionStatus.NOMINATING,
        _("Las nominaciones de esta elección están cerradas."),
    )
    is_candidate = getattr(actor, "person_id", None) == nomination.person_id
    # An official of the territory may record an acceptance given in writing.
    if not is_candidate and not access_council_as_official(actor, nomination.election.term.council):
        raise NotTheCandidate(
            _(
                "Solo %(person)s, o un funcionario o funcionaria del territorio con su aceptación "
                "por escrito, puede aceptar la nominación."
            )
            % {"person": nomination.person.name}
        )
    if nomination.accepted_at is not None:
        raise NominationAlreadyAccepted(_("Esta nominación ya fue aceptada."))
    # Designated to a seat of the term since the nomination: one seat per person per term.
    if person_holds_seat(term=nomination.election.term, person=nomination.person):
        raise PersonAlreadySeated(
            _seated_candidate_message(nomination.person, nomination.election.term), "person"
        )
    nomination.accepted_at = now
    nomination.save(update_fields=["accepted_at"])
    audit_record(
        actor=actor,
        action="nomination.accept",
        object_type="councils.Nomination",
        object_id=nomination.pk,
        before={"accepted": False},
        after={"accepted": True},
        now=now,
    )
    return nomination


@transaction.atomic
def election_voting_open(*, actor: Any, election: Election, now: datetime) -> Election:
    """Closes nominations and opens the vote. The candidates (accepted nominations) are
    numbered in alphabetical order; the roll is every eligible organisation on this day."""
    election = _election_locked(election)
    _require_status(
        election,
        ElectionStatus.NOMINATING,
        _("La votación solo se abre desde el periodo de nominaciones."),
    )
    accepted = list(
        Nomination.objects.filter(election=election, accepted_at__isnull=False)
        .select_related("person")
        .order_by("person__name", "id")
    )
    if not accepted:
        raise NoCandidates(_("No hay candidaturas aceptadas: no se puede abrir la votación."))
    eligible = list(
        organizations_eligible(council=election.term.council, on=now.date()).order_by("pk")
    )
    if not eligible:
        raise EmptyRoll(
            _("No hay organizaciones de la economía popular y solidaria en el territorio.")
        )
    for number, nomination in enumerate(accepted, start=1):
        nomination.candidate_number = number
    Nomination.objects.bulk_update(accepted, ["candidate_number"])
    RollEntry.objects.bulk_create(
        [RollEntry(election=election, organization=org) for org in eligible]
    )
    election.status, election.voting_opened_at = ElectionStatus.VOTING, now
    election.save(update_fields=["status", "voting_opened_at"])
    audit_record(
        actor=actor,
        action="election.voting_open",
        object_type="councils.Election",
        object_id=election.pk,
        before={"status": ElectionStatus.NOMINATING},
        after={
            "status": ElectionStatus.VOTING,
            "candidates": {n.candidate_number: n.person_id for n in accepted},
            "roll": [org.pk for org in eligible],
        },
        now=now,
    )
    return election


def ballot_check(*, preferences: Sequence[Any], candidates: int) -> list[int]:
    """A ranked ballot: candidate numbers in order of preference, at least one, each a
    candidate, none twice. Returns it as a list of ints or raises BallotInvalid naming the
    rank at fault."""
    if not isinstance(preferences, list | tuple) or not preferences:
        raise BallotInvalid(_("La papeleta debe ordenar al menos una candidatura."))
    if len(preferences) > candidates:
        raise BallotInvalid(
            _("La papeleta ordena %(n)d preferencias pero hay %(c)d candidaturas.")
            % {"n": len(preferences), "c": candidates}
        )
    seen: dict[int, int] = {}
    cleaned: list[int] = []
    for rank, value in enumerate(preferences, start=1):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= candidates:
            raise BallotInvalid(
                _("Preferencia %(rank)d: «%(v)s» no es una candidatura (1 a %(c)d).")
                % {"rank": rank, "v": value, "c": candidates},
                f"preferences.{rank}",
            )
        if value in seen:
            raise BallotInvalid(
                _("Preferencia %(rank)d: esa candidatura ya está en la preferencia %(first)d.")
                % {"rank": rank, "first": seen[value]},
                f"preferences.{rank}",
            )
        seen[value] = rank
        cleaned.append(value)
    return cleaned


@transaction.atomic
def ballot_cast(
    *,
    actor: Any,
    election: Election,
    organization: Any,
    preferences: Sequence[Any],
    now: datetime,
) -> RollEntry:
    """An organisation's one ballot, cast by its registered delegate. The ballot goes into the
    box with nothing that links it to the organisation; the roll records only that it voted."""
    election = _election_locked(election)
    _require_status(election, ElectionStatus.VOTING, _("La votación no está abierta."))
    if organization is None:
        raise InvalidInput(_("La organización es obligatoria."), "organization")
    if not access_organization_as_delegate_of(actor, organization):
        raise NotDelegate(
            _("Solo el delegado o la delegada de %(org)s puede votar en su nombre.")
            % {"org": organization.name}
        )
    entry = (
        RollEntry.objects.select_for_update()
        .filter(election=election, organization=organization)
        .first()
    )
    if entry is None:
        raise NotOnRoll(
            _("%(org)s no está en el padrón de esta elección.") % {"org": organization.name}
        )
    if entry.has_voted:
        raise AlreadyVoted(
            _("%(org)s ya votó: cada organización emite una sola papeleta.")
            % {"org": organization.name}
        )
    candidates = Nomination.objects.filter(
        election=election, candidate_number__isnull=False
    ).count()
    cleaned = ballot_check(preferences=preferences, candidates=candidates)
    Ballot.objects.create(id=uuid.uuid4(), election=election, preferences=cleaned)
    entry.has_voted = True
    entry.save(update_fields=["has_voted"])
    # The audit event says who voted, never how: it carries no preference and no ballot id.
    audit_record(
        actor=actor,
        action="ballot.cast",
        object_type="councils.RollEntry",
        object_id=entry.pk,
        before={"has_voted": False},
        after={"election": election.pk, "organization": organization.pk, "has_voted": True},
        now=now,
    )
    return entry


def _blt_election(election: Election, ballots: list[list[int]]) -> blt_format.Election:
    candidates = candidates_of(election=election)
    assert [c.candidate_number for c in candidates] == list(range(1, len(candidates) + 1))
    # Identical ballots are grouped into one BLT line with their weight.
    grouped: dict[tuple[int, ...], int] = {}
    for prefs in ballots:
        grouped[tuple(prefs)] = grouped.get(tuple(prefs), 0) + 1
    term = election.term
    return blt_format.Election(
        candidates=tuple(_blt_text(c.person.name) for c in candidates),
        seats=election.seats,
        ballots=tuple(
            blt_format.Ballot(weight=w, preferences=p) for p, w in sorted(grouped.items())
        ),
        title=_blt_text(f"{term.council.name}, {term.number}"),
    )


def _blt_text(text: str) -> str:
    # A BLT name sits between double quotes on one line.
    return " ".join(text.replace('"', "'").split())


@transaction.atomic
def election_count(
    *, actor: Any, election: Election, seed: int | None = None, now: datetime
) -> Election:
    """Closes the vote and counts it by STV under the Scottish rules (minga.voting.stv), with
    ties the rules leave to lot broken by a seeded lot whose seed is published. The count sheet
    and the anonymised ballots (BLT) are published, and the elected fill the civil seats in
    order of election."""
    election = _election_locked(election)
    _require_status(election, ElectionStatus.VOTING, _("La votación no está abierta."))
    if seed is None:
        seed = secrets.randbelow(MAX_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvalidInput(
            _("La semilla debe ser un entero entre 0 y %(n)d.") % {"n": MAX_SEED}, "seed"
        )
    ballots = ballots_of(election=election)
    if not ballots:
        raise NoBallots(_("No se ha emitido ninguna papeleta: no hay nada que escrutar."))
    blt_election = _blt_election(election, ballots)
    result = stv.count(blt_election, seed=seed)
    assert len(result.elected) <= election.seats
    term = election.term
    candidates = {c.candidate_number: c for c in candidates_of(election=election)}
    for rank, number in enumerate(result.elected, start=1):
        Nomination.objects.filter(pk=candidates[number].pk).update(elected_rank=rank)
    start = max(term.start_date, now.date())
    if start >= term.end_date:
        raise DateOutsideTerm(_("El periodo ya terminó: no quedan puestos que llenar."), "term")
    seats = list(
        Seat.objects.select_for_update().filter(term=term, side=Side.CIVIL).order_by("number")
    )
    taken = set(
        Mandate.objects.filter(term=term, side=Side.CIVIL, end_date__isnull=True).values_list(
            "seat_id", flat=True
        )
    )
    free = [s for s in seats if s.pk not in taken]
    assert len(free) >= len(result.elected), "civil seats are filled only by this count"
    for seat, number in zip(free, result.elected, strict=False):
        Mandate.objects.create(
            seat=seat,
            term=term,
            side=Side.CIVIL,
            person=candidates[number].person,
            source=Source.ELECTION,
            start_date=start,
            created_at=now,
        )
    election.status, election.counted_at, election.seed = ElectionStatus.COUNTED, now, seed
    election.quota = stv.format_votes(result.quota)
    election.count_sheet = result.to_json()
    election.blt = blt_format.format_blt(blt_election)
    election.save(update_fields=["status", "counted_at", "seed", "quota", "count_sheet", "blt"])
    # The published file counts to the same result: anyone can check it.
    assert stv.count(blt_format.parse_blt(election.blt), seed=seed).elected == result.elected
    audit_record(
        actor=actor,
        action="election.count",
        object_type="councils.Election",
        object_id=election.pk,
        before={"status": ElectionStatus.VOTING},
        after={
            "status": ElectionStatus.COUNTED,
            "seed": seed,
            "quota": election.quota,
            "ballots": len(ballots),
            "elected": [candidates[n].person_id for n in result.elected],
        },
        now=now,
    )
    return election


@transaction.atomic
def vacancy_fill_by_recount(*, actor: Any, seat: Seat, start_date: date, now: datetime) -> Mandate:
    """Fills a vacant civil seat with the next candidate of a recount of the stored ballots
    (minga.voting.stv.fill_vacancy, docs/councils.md): the departed member, and every earlier
    departed member, are treated as withdrawn; the members still sitting keep their seats; the
    recount's first candidate not already sitting takes the seat. The seed is the election's.
    The recount sheet is published with the mandate."""
    seat = Seat.objects.select_for_update().select_related("term__council").get(pk=seat.pk)
    plan = vacancy_recount(seat=seat)
    refusals: dict[str, type[CouncilError]] = {
        "side": SeatSideMismatch,
        "occupied": SeatNotVacant,
        "not_counted": ElectionStateInvalid,
        "no_candidate": NoCandidateLeft,
    }
    if plan.problem:
        raise refusals[plan.problem](plan.message, "seat")
    assert plan.person is not None and plan.result is not None and plan.departed is not None
    _check_can_seat(seat=seat, person=plan.person, start_date=start_date)
    mandate = Mandate.objects.create(
        seat=seat,
        term=seat.term,
        side=Side.CIVIL,
        person=plan.person,
        source=Source.RECOUNT,
        start_date=start_date,
        recount_sheet=plan.sheet,
        created_at=now,
    )
    assert mandate.recount_sheet is not None
    audit_record(
        actor=actor,
        action="seat.recount",
        object_type="councils.Mandate",
        object_id=mandate.pk,
        after={
            **_mandate_audit(mandate),
            "departed": plan.departed.person_id,
            "recount": plan.result.to_json()["candidates"],
        },
        now=now,
    )
    return mandate


# --- meetings, motions and decisions ----------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    actor: Any,
    council: Council,
    title: str,
    starts_at: datetime,
    place: str = "",
    agenda: Sequence[str] = (),
    now: datetime,
) -> Meeting:
    """Calls a meeting of a council, within one of its terms, with its agenda."""
    title = _text(title, field="title", label=_("El título"), max_length=200)
    place = _text(place, field="place", label=_("El lugar"), max_length=200, required=False)
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        raise InvalidInput(_("La fecha y hora son obligatorias."), "starts_at")
    term = term_on(council=council, on=starts_at.date())
    if term is None:
        raise NoTermAtDate(
            _("El consejo no tiene un periodo en curso el %(d)s.")
            % {"d": starts_at.date().isoformat()}
        )
    items = [a.strip() for a in agenda if a and a.strip()]
    if len(items) > MAX_AGENDA_ITEMS:
        raise InvalidInput(
            _("El orden del día admite hasta %(n)d puntos.") % {"n": MAX_AGENDA_ITEMS}, "agenda"
        )
    for position, item in enumerate(items, start=1):
        if len(item) > 300:
            raise InvalidInput(
                _("Punto %(n)d del orden del día: más de 300 caracteres.") % {"n": position},
                "agenda",
            )
    meeting = Meeting.objects.create(
        council=council,
        term=term,
        title=title,
        starts_at=starts_at,
        place=place,
        created_at=now,
    )
    AgendaItem.objects.bulk_create(
        [AgendaItem(meeting=meeting, position=p, title=t) for p, t in enumerate(items, start=1)]
    )
    audit_record(
        actor=actor,
        action="meeting.create",
        object_type="councils.Meeting",
        object_id=meeting.pk,
        after={
            "council": council.pk,
            "term": term.pk,
            "title": title,
            "starts_at": starts_at.isoformat(),
            "place": place,
            "agenda": items,
        },
        now=now,
    )
    return meeting


@transaction.atomic
def meeting_attendance_record(
    *, actor: Any, meeting: Meeting, present: Sequence[Mandate], now: datetime
) -> Meeting:
    """Records who is present (replacing any earlier record). Only members sitting on the day
    can be present; once votes are recorded the attendance is fixed, since the quorum of those
    votes rests on it."""
    meeting = (
        Meeting.objects.select_for_update().select_related("term", "council").get(pk=meeting.pk)
    )
    if Vote.objects.filter(motion__meeting=meeting).exists():
        raise AttendanceLocked(
            _("Ya hay votos registrados en esta sesión: la asistencia no puede cambiar.")
        )
    sitting = {m.pk: m for m in mandates_open_on(term=meeting.term, on=meeting.starts_at.date())}
    ids = [m.pk for m in present]
    if len(set(ids)) != len(ids):
        raise AttendanceInvalid(_("Un miembro figura dos veces en la asistencia."))
    for mandate in present:
        if mandate.pk not in sitting:
            raise AttendanceInvalid(
                _("%(person)s no es miembro del consejo en la fecha de la sesión.")
                % {"person": mandate.person.name}
            )
    before = sorted(Attendance.objects.filter(meeting=meeting).values_list("mandate_id", flat=True))
    Attendance.objects.filter(meeting=meeting).delete()
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, mandate=sitting[i], side=sitting[i].side) for i in sorted(ids)]
    )
    audit_record(
        actor=actor,
        action="meeting.attendance",
        object_type="councils.Meeting",
        object_id=meeting.pk,
        before={"present": before},
        after={"present": sorted(ids)},
        now=now,
    )
    return meeting


@transaction.atomic
def motion_create(
    *,
    actor: Any,
    meeting: Meeting,
    title: str,
    text: str = "",
    agenda_item: AgendaItem | None = None,
    now: datetime,
) -> Motion:
    title = _text(title, field="title", label=_("El título de la moción"), max_length=300)
    text = _text(text, field="text", label=_("El texto"), max_length=20_000, required=False)
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise InvalidInput(_("El punto del orden del día es de otra sesión."), "agenda_item")
    motion = Motion.objects.create(
        meeting=meeting,
        agenda_item=agenda_item,
        title=title,
        text=text,
        majority_rule=meeting.council.majority_rule,
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="motion.create",
        object_type="councils.Motion",
        object_id=motion.pk,
        after={"meeting": meeting.pk, "title": title, "majority_rule": motion.majority_rule},
        now=now,
    )
    return motion


@transaction.atomic
def motion_votes_record(
    *, actor: Any, motion: Motion, votes: dict[int, str], now: datetime
) -> Motion:
    """Records the vote of each member present, by name (`votes` maps a mandate id to yes, no
    or abstain), and closes the motion with its outcome under its majority rule. Refused
    without quorum: a council without quorum decides nothing."""
    motion = (
        Motion.objects.select_for_update()
        .select_related("meeting__council", "meeting__term")
        .get(pk=motion.pk)
    )
    if motion.closed_at is not None:
        raise MotionClosed(_("La votación de esta moción ya se cerró."))
    quorum = meeting_quorum(meeting=motion.meeting)
    if not quorum.reached:
        raise NoQuorum(
            _(
                "No hay quórum: %(p)d de %(t)d puestos presentes (gobierno %(g)d, sociedad civil "
                "%(c)d). Se requiere más de la mitad, con al menos la mitad de cada lado."
            )
            % {
                "p": quorum.present_total,
                "t": quorum.seats_total,
                "g": quorum.present_by_side[Side.GOVERNMENT],
                "c": quorum.present_by_side[Side.CIVIL],
            }
            if motion.meeting.council.quorum_rule == QuorumRule.PARITY
            else _("No hay quórum: %(p)d de %(t)d puestos presentes. Se requiere más de la mitad.")
            % {"p": quorum.present_total, "t": quorum.seats_total}
        )
    present = {
        a.mandate_id: a
        for a in Attendance.objects.filter(meeting=motion.meeting).select_related("mandate__person")
    }
    if not votes:
        raise VoteInvalid(_("No se registró ningún voto."))
    for mandate_id, choice in votes.items():
        if mandate_id not in present:
            raise VoteInvalid(
                _("Solo votan los miembros presentes (mandato %(id)s).") % {"id": mandate_id},
                f"votes.{mandate_id}",
            )
        if choice not in VoteChoice.values:
            raise VoteInvalid(
                _("%(person)s: voto desconocido «%(c)s» (a favor, en contra o abstención).")
                % {"person": present[mandate_id].mandate.person.name, "c": choice},
                f"votes.{mandate_id}",
            )
    Vote.objects.bulk_create(
        [
            Vote(motion=motion, mandate_id=i, side=present[i].side, choice=votes[i])
            for i in sorted(votes)
        ]
    )
    tally = tally_votes([(present[i].side, c) for i, c in votes.items()])
    motion.outcome = motion_outcome(majority_rule=motion.majority_rule, tally=tally)
    motion.closed_at = now
    motion.save(update_fields=["outcome", "closed_at"])
    audit_record(
        actor=actor,
        action="motion.vote",
        object_type="councils.Motion",
        object_id=motion.pk,
        before={"outcome": ""},
        after={
            "votes": {str(i): votes[i] for i in sorted(votes)},
            "outcome": motion.outcome,
        },
        now=now,
    )
    return motion


@transaction.atomic
def decision_publish(
    *,
    actor: Any,
    motion: Motion,
    text: str,
    is_priority_need: bool = False,
    service_category: str = "",
    territory: Any = None,
    now: datetime,
) -> Decision:
    """Publishes what a passed motion decided. A priority need carries a service category and a
    territory within the council's."""
    motion = (
        Motion.objects.select_for_update()
        .select_related("meeting__council__territory")
        .get(pk=motion.pk)
    )
    if motion.outcome != MotionOutcome.PASSED:
        raise MotionNotPassed(_("Solo una moción aprobada produce una decisión."))
    if Decision.objects.filter(motion=motion).exists():
        raise DecisionExists(_("Esta moción ya tiene su decisión publicada."))
    text = _text(text, field="text", label=_("El texto de la decisión"), max_length=20_000)
    council = motion.meeting.council
    if is_priority_need:
        if service_category not in ServiceCategory.values:
            raise DecisionInvalid(
                _("Una necesidad prioritaria lleva una categoría de servicio."), "service_category"
            )
        if territory is None:
            raise DecisionInvalid(_("Una necesidad prioritaria lleva un territorio."), "territory")
        if not territory_is_within(territory, council.territory):
            raise DecisionInvalid(
                _("El territorio debe ser %(t)s o estar dentro de él.")
                % {"t": council.territory.name},
                "territory",
            )
    elif service_category or territory is not None:
        raise DecisionInvalid(
            _("Solo una necesidad prioritaria lleva categoría y territorio."), "is_priority_need"
        )
    decision = Decision.objects.create(
        motion=motion,
        council=council,
        text=text,
        is_priority_need=is_priority_need,
        service_category=service_category if is_priority_need else "",
        territory=territory if is_priority_need else None,
        published_at=now,
    )
    audit_record(
        actor=actor,
        action="decision.publish",
        object_type="councils.Decision",
        object_id=decision.pk,
        after={
            "motion": motion.pk,
            "text": text,
            "priority_need": is_priority_need,
            "service_category": decision.service_category,
            "territory": territory.code if decision.territory_id else None,
        },
        now=now,
    )
    return decision


@transaction.atomic
def meeting_minutes_publish(
    *, actor: Any, meeting: Meeting, minutes: str, now: datetime
) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    minutes = _text(minutes, field="minutes", label=_("El acta"), max_length=100_000)
    before = {"minutes": meeting.minutes, "published": meeting.minutes_published_at is not None}
    meeting.minutes, meeting.minutes_published_at = minutes, now
    meeting.save(update_fields=["minutes", "minutes_published_at"])
    audit_record(
        actor=actor,
        action="meeting.minutes_publish",
        object_type="councils.Meeting",
        object_id=meeting.pk,
        before=before,
        after={"minutes": minutes, "published": True},
        now=now,
    )
    return meeting
