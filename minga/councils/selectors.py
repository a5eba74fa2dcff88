"""Reads of the councils app: composition, terms, elections, meetings, quorum and tallies, and
the access checks that the pages and the API use."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from minga.accounts.selectors import (
    access_organization_as_delegate,
    access_territory_as_official,
    roles_active,
    user_is_administrator,
)
from minga.actors.selectors import organizations_filtered
from minga.core.roles import Role
from minga.voting import blt as blt_format
from minga.voting import stv

from .models import (
    Attendance,
    Ballot,
    Council,
    Decision,
    Election,
    ElectionStatus,
    Mandate,
    Meeting,
    Motion,
    MotionOutcome,
    Nomination,
    Office,
    QuorumRule,
    RollEntry,
    Seat,
    Side,
    Source,
    Term,
    Vote,
    VoteChoice,
)

# --- other apps, read through their selectors or the app registry ----------------------------


def solidarity_economy_classifications() -> frozenset[str]:
    """The classifications that elect civil seats. The set is the actors app's
    (SOLIDARITY_ECONOMY); it is read through the app registry because another app's models
    module is never imported (import-linter contract)."""
    models_module = apps.get_app_config("actors").models_module
    assert models_module is not None, "the actors app has models"
    value: frozenset[str] = frozenset(str(c) for c in models_module.SOLIDARITY_ECONOMY)
    return value


def territory_by_id(*, territory_id: int) -> Any:
    return apps.get_model("territories", "Territory").objects.filter(pk=territory_id).first()


def territory_is_within(territory: Any, ancestor: Any) -> bool:
    """`territory` is `ancestor` itself or lies anywhere under it (materialised path prefix)."""
    return bool(
        territory.country_code == ancestor.country_code and territory.path.startswith(ancestor.path)
    )


def person_by_id(*, person_id: int) -> Any:
    return apps.get_model("actors", "Person").objects.filter(pk=person_id).first()


def organization_by_id(*, organization_id: int) -> Any:
    return (
        apps.get_model("actors", "Organization")
        .objects.select_related("area")
        .filter(pk=organization_id)
        .first()
    )


def persons_for_choice(*, limit: int = 1000) -> QuerySet[Any]:
    """People offered in the designation and nomination forms, by name (bounded)."""
    return (
        apps.get_model("actors", "Person").objects.order_by("name", "id").only("id", "name")[:limit]
    )


def territories_under(*, territory: Any) -> QuerySet[Any]:
    """The territories under `territory`, at any depth (not itself)."""
    return (
        apps.get_model("territories", "Territory")
        .objects.filter(country_code=territory.country_code, path__startswith=territory.path)
        .exclude(pk=territory.pk)
        .order_by("path")
    )


def organizations_eligible(*, council: Council, on: date) -> QuerySet[Any]:
    """The organisations that elect a council's civil seats: those of the solidarity economy
    (community, associative, cooperative, social enterprise) registered in the council's
    territory or anywhere under it, and not dissolved on `on`."""
    return (
        organizations_filtered(territory=council.territory)
        .filter(classification__in=solidarity_economy_classifications())
        .filter(Q(dissolution_date__isnull=True) | Q(dissolution_date__gt=on))
        .select_related("area")
    )


def organization_is_eligible(*, council: Council, organization: Any, on: date) -> bool:
    return organizations_eligible(council=council, on=on).filter(pk=organization.pk).exists()


# --- access checks ----------------------------------------------------------------------------


def access_council_as_official(user: Any, council: Council) -> bool:
    """Officials of the council's territory (or of a territory above it) and administrators
    manage a council: its terms, designations, meetings and election."""
    if council is None:
        return False
    return access_territory_as_official(user, council.territory)


def access_organization_as_delegate_of(user: Any, organization: Any) -> bool:
    return access_organization_as_delegate(user, organization)


def delegated_organization_ids(*, user: Any, at: datetime | None = None) -> list[int]:
    """The organisations a user is the registered delegate of."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        roles_active(user=user, at=at)
        .filter(role=Role.DELEGATE, organization__isnull=False)
        .values_list("organization_id", flat=True)
    )


def councils_territories_for(*, user: Any) -> list[Any]:
    """The territories where a user may constitute a council: those of their official roles
    and everything under them (all territories for an administrator)."""
    territory_model = apps.get_model("territories", "Territory")
    if not getattr(user, "is_authenticated", False):
        return []
    if user_is_administrator(user):
        return list(territory_model.objects.order_by("country_code", "path")[:500])
    paths = list(
        roles_active(user=user)
        .filter(role=Role.OFFICIAL, territory__isnull=False)
        .values_list("territory__country_code", "territory__path")
    )
    query = Q(pk__in=[])
    for country_code, path in paths:
        query |= Q(country_code=country_code, path__startswith=path)
    return list(territory_model.objects.filter(query).order_by("country_code", "path")[:500])


# --- councils, terms, seats -------------------------------------------------------------------


def councils_list() -> QuerySet[Council]:
    return Council.objects.select_related("territory").order_by("name", "id")


def council_by_id(*, council_id: int) -> Council | None:
    return Council.objects.select_related("territory").filter(pk=council_id).first()


def council_name_taken(*, territory: Any, name: str) -> bool:
    return Council.objects.filter(territory=territory, name__iexact=name).exists()


def terms_of(*, council: Council) -> QuerySet[Term]:
    return Term.objects.filter(council=council).order_by("number")


def term_by_id(*, term_id: int) -> Term | None:
    return Term.objects.select_related("council__territory").filter(pk=term_id).first()


def term_last(*, council: Council) -> Term | None:
    return Term.objects.filter(council=council).order_by("-number").first()


def term_on(*, council: Council, on: date) -> Term | None:
    """The term in force on a day: start_date <= on < end_date."""
    return Term.objects.filter(council=council, start_date__lte=on, end_date__gt=on).first()


def term_current_or_last(*, council: Council, on: date) -> Term | None:
    return term_on(council=council, on=on) or term_last(council=council)


def seat_by_id(*, seat_id: int) -> Seat | None:
    return Seat.objects.select_related("term__council__territory").filter(pk=seat_id).first()


def mandate_by_id(*, mandate_id: int) -> Mandate | None:
    return (
        Mandate.objects.select_related("seat", "term__council", "person")
        .filter(pk=mandate_id)
        .first()
    )


def mandate_open_of_seat(*, seat: Seat) -> Mandate | None:
    return Mandate.objects.filter(seat=seat, end_date__isnull=True).first()


def mandate_departed_of_seat(*, seat: Seat) -> Mandate | None:
    """The last member who left a seat (the one a recount replaces)."""
    return (
        Mandate.objects.filter(seat=seat, end_date__isnull=False)
        .select_related("person")
        .order_by("-end_date", "-id")
        .first()
    )


def mandate_departed_before(*, mandate: Mandate) -> Mandate | None:
    """The member whose departure a recount filled: the last to leave the seat before the
    recounted member took it."""
    return (
        Mandate.objects.filter(seat_id=mandate.seat_id, end_date__lte=mandate.start_date)
        .exclude(pk=mandate.pk)
        .select_related("person")
        .order_by("-end_date", "-id")
        .first()
    )


def mandate_recounted_by_id(*, mandate_id: int) -> Mandate | None:
    return (
        Mandate.objects.select_related("seat", "term__council__territory", "person")
        .filter(pk=mandate_id, source=Source.RECOUNT)
        .first()
    )


def mandates_open(*, term: Term) -> QuerySet[Mandate]:
    return (
        Mandate.objects.filter(term=term, end_date__isnull=True)
        .select_related("person", "seat")
        .order_by("side", "seat__number")
    )


def mandates_open_on(*, term: Term, on: date) -> QuerySet[Mandate]:
    """The members sitting on a day: mandates started on or before it and not ended by it."""
    return (
        Mandate.objects.filter(term=term, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=on))
        .select_related("person", "seat")
        .order_by("side", "seat__number")
    )


def person_holds_seat(*, term: Term, person: Any) -> bool:
    return Mandate.objects.filter(term=term, person=person, end_date__isnull=True).exists()


def person_is_candidate_pending(*, term: Term, person: Any) -> bool:
    """The person has accepted a nomination in the term's civil election, which is not counted
    yet: the count may give them a civil seat, so they cannot take another seat meanwhile."""
    return Nomination.objects.filter(
        election__term=term,
        person=person,
        accepted_at__isnull=False,
        election__status__in=[ElectionStatus.NOMINATING, ElectionStatus.VOTING],
    ).exists()


@dataclass(frozen=True)
class SeatRow:
    seat: Seat
    mandate: Mandate | None

    @property
    def vacant(self) -> bool:
        return self.mandate is None


@dataclass(frozen=True)
class Composition:
    """Who sits on a term's seats now: both sides, the officers and the vacancies."""

    term: Term
    government: list[SeatRow]
    civil: list[SeatRow]
    chair: Mandate | None
    vice_chair: Mandate | None

    @property
    def vacancies(self) -> int:
        return sum(1 for row in self.government + self.civil if row.vacant)

    @property
    def sides(self) -> list[tuple[str, list[SeatRow]]]:
        return [(Side.GOVERNMENT, self.government), (Side.CIVIL, self.civil)]


def composition(*, term: Term) -> Composition:
    seats = list(Seat.objects.filter(term=term).order_by("side", "number"))
    holders = {m.seat_id: m for m in mandates_open(term=term)}
    rows = [SeatRow(seat=s, mandate=holders.get(s.pk)) for s in seats]
    government = [r for r in rows if r.seat.side == Side.GOVERNMENT]
    civil = [r for r in rows if r.seat.side == Side.CIVIL]
    # Parity holds in every term's seats (the constraint term_seats_at_parity says it too).
    assert len(government) == len(civil) == term.government_seats, term.pk
    officers = {m.office: m for m in holders.values() if m.office}
    return Composition(
        term=term,
        government=government,
        civil=civil,
        chair=officers.get(Office.CHAIR),
        vice_chair=officers.get(Office.VICE_CHAIR),
    )


def mandates_history(*, term: Term) -> QuerySet[Mandate]:
    return (
        Mandate.objects.filter(term=term)
        .select_related("person", "seat")
        .order_by("side", "seat__number", "start_date", "id")
    )


# --- elections --------------------------------------------------------------------------------


def election_by_id(*, election_id: int) -> Election | None:
    return (
        Election.objects.select_related("term__council__territory").filter(pk=election_id).first()
    )


def election_of_term(*, term: Term) -> Election | None:
    return Election.objects.filter(term=term).first()


def elections_of(*, council: Council) -> QuerySet[Election]:
    return (
        Election.objects.filter(term__council=council)
        .select_related("term")
        .order_by("-term__number")
    )


def nominations_of(*, election: Election) -> QuerySet[Nomination]:
    return (
        Nomination.objects.filter(election=election)
        .select_related("organization", "person")
        .order_by("candidate_number", "person__name", "id")
    )


def nomination_by_id(*, nomination_id: int) -> Nomination | None:
    return (
        Nomination.objects.select_related("election__term__council", "person", "organization")
        .filter(pk=nomination_id)
        .first()
    )


def candidates_of(*, election: Election) -> list[Nomination]:
    """The candidates, numbered as on the ballot (and in the BLT file)."""
    return list(
        Nomination.objects.filter(election=election, candidate_number__isnull=False)
        .select_related("organization", "person")
        .order_by("candidate_number")
    )


def nominations_awaiting(*, person: Any) -> QuerySet[Nomination]:
    """Nominations a person has not answered yet, in elections still taking nominations."""
    return Nomination.objects.filter(
        person=person, accepted_at__isnull=True, election__status=ElectionStatus.NOMINATING
    ).select_related("election__term__council", "organization")


def roll_of(*, election: Election) -> QuerySet[RollEntry]:
    return RollEntry.objects.filter(election=election).select_related("organization")


def roll_entry(*, election: Election, organization: Any) -> RollEntry | None:
    return RollEntry.objects.filter(election=election, organization=organization).first()


def roll_entries_for_delegate(*, election: Election, user: Any) -> list[RollEntry]:
    """The organisations on the roll a user casts the ballot of."""
    ids = delegated_organization_ids(user=user)
    return list(roll_of(election=election).filter(organization_id__in=ids))


def ballots_of(*, election: Election) -> list[list[int]]:
    """The ballot box, in a canonical order (by preferences), so that nothing about the order in
    which they were cast is published."""
    prefs = [
        list(b)
        for b in Ballot.objects.filter(election=election).values_list("preferences", flat=True)
    ]
    return sorted(prefs)


def ballots_cast(*, election: Election) -> int:
    return Ballot.objects.filter(election=election).count()


@dataclass(frozen=True)
class StageRow:
    """One stage of a count sheet, laid out for a table: one cell per candidate."""

    number: int
    action: str
    candidate: int | None
    cells: list[dict[str, Any]]
    non_transferable: str
    truncation_loss: str
    elected: list[int]
    excluded: list[int]
    tie_break: dict[str, Any] | None


def sheet_rows(*, sheet: Mapping[str, Any] | None, numbers: list[int]) -> list[StageRow]:
    """A published STV sheet (minga.voting.stv's StvResult.to_json()), stage by stage: for
    every candidate in `numbers` the transfer at the stage and the votes after it."""
    rows = []
    for stage in (sheet or {}).get("stages", []):
        transfers, votes = stage.get("transfers", {}), stage.get("votes", {})
        cells = [
            {
                "candidate": number,
                "transfer": transfers.get(str(number), ""),
                "votes": votes.get(str(number), ""),
            }
            for number in numbers
        ]
        rows.append(
            StageRow(
                number=stage["stage"],
                action=stage["action"],
                candidate=stage.get("candidate"),
                cells=cells,
                non_transferable=stage.get("non_transferable", ""),
                truncation_loss=stage.get("truncation_loss", ""),
                elected=list(stage.get("elected", [])) + list(stage.get("deemed_elected", [])),
                excluded=list(stage.get("excluded", [])),
                tie_break=stage.get("tie_break"),
            )
        )
    return rows


def count_sheet_rows(*, election: Election) -> list[StageRow]:
    """The published count sheet of an election, stage by stage."""
    numbers = [n.candidate_number for n in candidates_of(election=election)]
    return sheet_rows(sheet=election.count_sheet, numbers=[n for n in numbers if n is not None])


# --- vacancies filled by recount --------------------------------------------------------------


@dataclass(frozen=True)
class RecountPlan:
    """What a recount of the stored ballots does for a vacant civil seat (docs/councils.md,
    "Vacancies"). `problem` is empty when the recount fills the seat with `person`; otherwise it
    names why it cannot ("side", "occupied", "not_counted", "no_candidate") and `message` says
    it in words. `result` is the recount itself (minga.voting.stv.VacancyResult)."""

    seat: Seat
    election: Election | None = None
    departed: Mandate | None = None
    result: stv.VacancyResult | None = None
    person: Any = None
    candidate_number: int | None = None
    problem: str = ""
    message: str = ""

    @property
    def sheet(self) -> dict[str, Any] | None:
        return self.result.to_json() if self.result is not None else None


def vacancy_recount(*, seat: Seat) -> RecountPlan:
    """Recounts the ballots of the seat's term for its vacancy, without writing anything: the
    departed member and every earlier departed civil member are withdrawn, the members still
    sitting in civil seats are protected, the seed is the election's; the first candidate the
    recount elects who does not already sit takes the seat. The page shows it before the
    official confirms; services.vacancy_fill_by_recount computes it again under a row lock."""
    if seat.side != Side.CIVIL:
        return RecountPlan(
            seat=seat,
            problem="side",
            message=_(
                "Una vacante del gobierno se llena con una nueva designación, no con un recuento."
            ),
        )
    if Mandate.objects.filter(seat=seat, end_date__isnull=True).exists():
        return RecountPlan(seat=seat, problem="occupied", message=_("El puesto no está vacante."))
    election = Election.objects.filter(term_id=seat.term_id).first()
    if election is None or election.status != ElectionStatus.COUNTED:
        return RecountPlan(
            seat=seat,
            election=election,
            problem="not_counted",
            message=_(
                "La elección de este periodo no está escrutada: no hay papeletas que recontar."
            ),
        )
    departed = mandate_departed_of_seat(seat=seat)
    if departed is None:
        # The count elected fewer candidates than there are seats: nobody left this one, and
        # the ballots have already given every candidate they could.
        return RecountPlan(
            seat=seat,
            election=election,
            problem="no_candidate",
            message=_(
                "Este puesto nunca tuvo titular: el escrutinio no dejó candidaturas para él. "
                "Queda vacante."
            ),
        )
    number_of: dict[int, int] = {}
    person_of: dict[int, Any] = {}
    for n in candidates_of(election=election):
        assert n.candidate_number is not None, "candidates are numbered"
        number_of[n.person_id] = n.candidate_number
        person_of[n.candidate_number] = n.person
    civil = Mandate.objects.filter(term_id=seat.term_id, side=Side.CIVIL)
    holding = sorted(number_of[m.person_id] for m in civil.filter(end_date__isnull=True))
    departed_number = number_of[departed.person_id]
    # A candidate designated to a government seat of the term since the count cannot take a
    # civil seat too (one seat per person per term): the recount passes over them.
    government_now = {
        number_of[person_id]
        for person_id in Mandate.objects.filter(
            term_id=seat.term_id, side=Side.GOVERNMENT, end_date__isnull=True
        ).values_list("person_id", flat=True)
        if person_id in number_of
    }
    gone = sorted(
        ({number_of[m.person_id] for m in civil.filter(end_date__isnull=False)} | government_now)
        - {departed_number}
        - set(holding)
    )
    assert election.seed is not None, "a counted election publishes its seed"
    try:
        result: stv.VacancyResult | None = stv.fill_vacancy(
            blt_format.parse_blt(election.blt),
            departed=departed_number,
            holding=holding,
            unavailable=gone,
            seed=election.seed,
        )
    except stv.VacancyError as error:  # the arguments come from our own data
        raise AssertionError(str(error)) from error
    except stv.StvError:
        # Every ballot ranked only departed members: nothing is left to count.
        result = None
    if result is None or result.candidate is None:
        return RecountPlan(
            seat=seat,
            election=election,
            departed=departed,
            result=result,
            problem="no_candidate",
            message=_("El recuento no deja ninguna candidatura para este puesto: queda vacante."),
        )
    return RecountPlan(
        seat=seat,
        election=election,
        departed=departed,
        result=result,
        person=person_of[result.candidate],
        candidate_number=result.candidate,
    )


def recount_sheet_rows(*, mandate: Mandate) -> list[StageRow]:
    """The published sheet of the recount that filled a seat, stage by stage."""
    assert mandate.source == Source.RECOUNT and mandate.recount_sheet is not None, mandate.pk
    election = Election.objects.get(term_id=mandate.term_id)
    numbers = [n.candidate_number for n in candidates_of(election=election)]
    return sheet_rows(
        sheet=mandate.recount_sheet["recount"], numbers=[n for n in numbers if n is not None]
    )


# --- meetings, quorum, motions ----------------------------------------------------------------


def meetings_of(*, council: Council) -> QuerySet[Meeting]:
    return Meeting.objects.filter(council=council).order_by("-starts_at", "-id")


def meeting_by_id(*, meeting_id: int) -> Meeting | None:
    return (
        Meeting.objects.select_related("council__territory", "term").filter(pk=meeting_id).first()
    )


def motion_by_id(*, motion_id: int) -> Motion | None:
    return (
        Motion.objects.select_related("meeting__council__territory", "meeting__term")
        .filter(pk=motion_id)
        .first()
    )


def motions_of(*, meeting: Meeting) -> QuerySet[Motion]:
    return (
        Motion.objects.filter(meeting=meeting)
        .select_related("agenda_item")
        .order_by("created_at", "id")
    )


def members_at(*, meeting: Meeting) -> list[Mandate]:
    """The members sitting on the day of a meeting."""
    return list(mandates_open_on(term=meeting.term, on=meeting.starts_at.date()))


def attendance_of(*, meeting: Meeting) -> QuerySet[Attendance]:
    return Attendance.objects.filter(meeting=meeting).select_related(
        "mandate__person", "mandate__seat"
    )


@dataclass(frozen=True)
class Quorum:
    """Attendance against the quorum rule. Seats count whether filled or vacant: a vacancy is a
    seat nobody can be present in."""

    rule: str
    seats_total: int
    seats_by_side: dict[str, int]
    present_total: int
    present_by_side: dict[str, int]
    reached: bool
    reasons: list[str] = field(default_factory=list)


def quorum_evaluate(*, rule: str, seats_per_side: int, present_by_side: dict[str, int]) -> Quorum:
    """The quorum rules (docs/councils.md). PARITY, the default: more than half of all seats
    present, including at least half of each side's seats, so that neither side can decide
    alone. MAJORITY: more than half of all seats present."""
    assert rule in QuorumRule.values, rule
    seats_by_side = {Side.GOVERNMENT: seats_per_side, Side.CIVIL: seats_per_side}
    present = {s: present_by_side.get(s, 0) for s in seats_by_side}
    total, present_total = 2 * seats_per_side, sum(present.values())
    assert all(0 <= present[s] <= seats_by_side[s] for s in present), present
    reasons: list[str] = []
    if not 2 * present_total > total:
        reasons.append("majority")
    if rule == QuorumRule.PARITY:
        for side in (Side.GOVERNMENT, Side.CIVIL):
            if not 2 * present[side] >= seats_by_side[side]:
                reasons.append(str(side))
    return Quorum(
        rule=rule,
        seats_total=total,
        seats_by_side={str(k): v for k, v in seats_by_side.items()},
        present_total=present_total,
        present_by_side={str(k): v for k, v in present.items()},
        reached=not reasons,
        reasons=reasons,
    )


def meeting_quorum(*, meeting: Meeting) -> Quorum:
    present = {Side.GOVERNMENT: 0, Side.CIVIL: 0}
    for side in attendance_of(meeting=meeting).values_list("side", flat=True):
        present[Side(side)] += 1
    return quorum_evaluate(
        rule=meeting.council.quorum_rule,
        seats_per_side=meeting.term.government_seats,
        present_by_side={str(k): v for k, v in present.items()},
    )


@dataclass(frozen=True)
class Tally:
    by_side: dict[str, dict[str, int]]

    def total(self, choice: str) -> int:
        return sum(side.get(choice, 0) for side in self.by_side.values())


def tally_votes(votes: list[tuple[str, str]]) -> Tally:
    """Counts (side, choice) pairs per side and choice."""
    by_side = {
        str(side): {str(c): 0 for c in VoteChoice.values} for side in (Side.GOVERNMENT, Side.CIVIL)
    }
    for side, choice in votes:
        by_side[side][choice] += 1
    return Tally(by_side=by_side)


def motion_outcome(*, majority_rule: str, tally: Tally) -> str:
    """Simple majority: more yes than no among those voting (abstentions do not count as
    votes cast). Double majority: more yes than no on each side, so that no side is outvoted."""
    yes, no = VoteChoice.YES, VoteChoice.NO
    if majority_rule == "double":
        passed = all(t[yes] > t[no] for t in tally.by_side.values())
    else:
        passed = tally.total(yes) > tally.total(no)
    return MotionOutcome.PASSED if passed else MotionOutcome.REJECTED


def motion_tally(*, motion: Motion) -> Tally:
    return tally_votes(list(Vote.objects.filter(motion=motion).values_list("side", "choice")))


def votes_of(*, motion: Motion) -> QuerySet[Vote]:
    return Vote.objects.filter(motion=motion).select_related("mandate__person", "mandate__seat")


def decisions_of(*, council: Council) -> QuerySet[Decision]:
    return Decision.objects.filter(council=council).select_related("territory", "motion__meeting")


def priority_needs(*, territory: Any = None, category: str = "") -> QuerySet[Decision]:
    """Published priority needs; for a territory, those tagged with it or with any territory
    under it. Participatory budgeting and care programmes read them."""
    qs = Decision.objects.filter(is_priority_need=True).select_related("territory", "council")
    if territory is not None:
        qs = qs.filter(
            territory__country_code=territory.country_code,
            territory__path__startswith=territory.path,
        )
    if category:
        qs = qs.filter(service_category=category)
    return qs.order_by("-published_at", "-id")


def priority_needs_bearing_on(*, territory: Any, at: datetime) -> QuerySet[Decision]:
    """The priority needs published by `at` that bear on a territory: those tagged with it or
    with a territory inside it (a need of one of its parishes), and those tagged with a territory
    that contains it (a need a provincial council declared for the whole province is declared for
    each of its cantons). Needs of a sibling territory are left out. Oldest first, so that a
    reader who takes them gets them in the order the councils declared them."""
    # The ancestors' materialised paths are the prefixes of the territory's: "/10/1003/" lies
    # under "/10/".
    codes = [code for code in territory.path.split("/") if code]
    ancestor_paths = ["/" + "/".join(codes[:n]) + "/" for n in range(1, len(codes))]
    return (
        Decision.objects.filter(
            is_priority_need=True,
            published_at__lte=at,
            territory__country_code=territory.country_code,
        )
        .filter(
            Q(territory__path__startswith=territory.path) | Q(territory__path__in=ancestor_paths)
        )
        .select_related("territory", "council", "motion")
        .order_by("published_at", "id")
    )


# --- open data --------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def composition_rows() -> Iterator[dict[str, Any]]:
    """Every mandate of every term, with its dates: who held which seat, when, and how."""
    qs = Mandate.objects.select_related("term__council__territory", "seat", "person").order_by(
        "term__council_id", "term__number", "side", "seat__number", "start_date", "id"
    )
    for m in qs.iterator(chunk_size=2000):
        council = m.term.council
        yield {
            "council_id": council.pk,
            "council": council.name,
            "territory_code": council.territory.code,
            "term": m.term.number,
            "side": m.side,
            "seat": m.seat.number,
            "person_id": m.person_id,
            "person": m.person.name,
            "office": m.office,
            "source": m.source,
            "start_date": _iso(m.start_date),
            "end_date": _iso(m.end_date),
        }


def council_rows() -> Iterator[dict[str, Any]]:
    for c in councils_list():
        yield {
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


def term_rows() -> Iterator[dict[str, Any]]:
    for t in Term.objects.select_related("council").order_by("council_id", "number"):
        yield {
            "council_id": t.council_id,
            "council": t.council.name,
            "term": t.number,
            "start_date": _iso(t.start_date),
            "end_date": _iso(t.end_date),
            "chair_side": t.chair_side,
            "government_seats": t.government_seats,
            "civil_seats": t.civil_seats,
        }


def election_rows() -> Iterator[dict[str, Any]]:
    qs = Election.objects.filter(status=ElectionStatus.COUNTED).select_related("term__council")
    for e in qs.order_by("term__council_id", "term__number"):
        candidates = {n.candidate_number: n for n in candidates_of(election=e)}
        yield {
            "election_id": e.pk,
            "council_id": e.term.council_id,
            "council": e.term.council.name,
            "term": e.term.number,
            "seats": e.seats,
            "quota": e.quota,
            "seed": e.seed,
            "ballots": ballots_cast(election=e),
            "candidates": [
                {
                    "number": number,
                    "person": n.person.name,
                    "organization": n.organization.name,
                    "elected_rank": n.elected_rank,
                }
                for number, n in sorted(candidates.items())
            ],
            "count_sheet": e.count_sheet,
        }


def blt_rows() -> Iterator[dict[str, Any]]:
    qs = Election.objects.filter(status=ElectionStatus.COUNTED).select_related("term__council")
    for e in qs.order_by("term__council_id", "term__number"):
        yield {
            "election_id": e.pk,
            "council": e.term.council.name,
            "term": e.term.number,
            "blt": e.blt,
        }


def vote_rows() -> Iterator[dict[str, Any]]:
    qs = Vote.objects.select_related(
        "motion__meeting__council", "mandate__person", "mandate__seat"
    ).order_by("motion__meeting__starts_at", "motion_id", "side", "mandate__seat__number")
    for v in qs.iterator(chunk_size=2000):
        meeting = v.motion.meeting
        yield {
            "council_id": meeting.council_id,
            "council": meeting.council.name,
            "meeting_id": meeting.pk,
            "meeting": meeting.title,
            "meeting_at": _iso(meeting.starts_at),
            "motion_id": v.motion_id,
            "motion": v.motion.title,
            "outcome": v.motion.outcome,
            "person_id": v.mandate.person_id,
            "person": v.mandate.person.name,
            "side": v.side,
            "vote": v.choice,
        }


def meeting_rows() -> Iterator[dict[str, Any]]:
    for m in Meeting.objects.select_related("council", "term").order_by("starts_at", "id"):
        quorum = meeting_quorum(meeting=m)
        yield {
            "meeting_id": m.pk,
            "council_id": m.council_id,
            "council": m.council.name,
            "term": m.term.number,
            "title": m.title,
            "starts_at": _iso(m.starts_at),
            "place": m.place,
            "present": [a.mandate.person.name for a in attendance_of(meeting=m)],
            "quorum_reached": quorum.reached,
            "minutes": m.minutes if m.minutes_published_at else "",
        }


def councils_updated_at() -> datetime | None:
    value: datetime | None = Council.objects.aggregate(at=Max("updated_at"))["at"]
    return value


def mandates_updated_at() -> datetime | None:
    value: datetime | None = Mandate.objects.aggregate(at=Max("created_at"))["at"]
    return value


def elections_updated_at() -> datetime | None:
    value: datetime | None = Election.objects.aggregate(at=Max("counted_at"))["at"]
    return value


def meetings_updated_at() -> datetime | None:
    value: datetime | None = Meeting.objects.aggregate(at=Max("created_at"))["at"]
    return value


def _popolo_last_day(start: date, end: date | None) -> str | None:
    """Popolo's end_date is the last day held, inclusive; ours is exclusive. A mandate that
    ended the day it started held no day: its last day is published as its first."""
    if end is None:
        return None
    return _iso(max(start, end - timedelta(days=1)))


def popolo_document() -> dict[str, list[dict[str, Any]]]:
    """The councils as Popolo (https://www.popoloproject.com/specs/): each council an
    organisation, each seat of a term a post with the term's dates, each mandate a membership
    with its dates, its role (member, chair, vice_chair) and, for a civil seat, the organisation
    that nominated the member (`on_behalf_of_id`). Persons and organisations use the ids of the
    actors app's Popolo export (person/<id>, organization/<id>), so the two documents join;
    territories are territory/<official code>, as there."""
    organizations, posts, memberships = [], [], []
    persons: dict[int, dict[str, Any]] = {}
    for c in councils_list():
        organizations.append(
            {
                "id": f"council/{c.pk}",
                "name": c.name,
                "classification": "council",
                "area_id": f"territory/{c.territory.code}",
            }
        )
    for seat in Seat.objects.select_related("term__council__territory").order_by(
        "term__council_id", "term__number", "side", "number"
    ):
        term = seat.term
        posts.append(
            {
                "id": f"council-seat/{seat.pk}",
                "label": f"{seat.get_side_display()} {seat.number} · {term.number}",
                "role": str(seat.side),
                "organization_id": f"council/{term.council_id}",
                "area_id": f"territory/{term.council.territory.code}",
                "start_date": _iso(term.start_date),
                "end_date": _popolo_last_day(term.start_date, term.end_date),
            }
        )
    nominated_by = {
        (term_id, person_id): organization_id
        for term_id, person_id, organization_id in Nomination.objects.filter(
            candidate_number__isnull=False
        ).values_list("election__term_id", "person_id", "organization_id")
    }
    for m in Mandate.objects.select_related("person", "term").order_by("id"):
        persons.setdefault(m.person_id, {"id": f"person/{m.person_id}", "name": m.person.name})
        on_behalf_of = nominated_by.get((m.term_id, m.person_id)) if m.side == Side.CIVIL else None
        memberships.append(
            {
                "id": f"council-mandate/{m.pk}",
                "person_id": f"person/{m.person_id}",
                "organization_id": f"council/{m.term.council_id}",
                "post_id": f"council-seat/{m.seat_id}",
                "role": m.office or "member",
                "on_behalf_of_id": f"organization/{on_behalf_of}" if on_behalf_of else None,
                "start_date": _iso(m.start_date),
                "end_date": _popolo_last_day(m.start_date, m.end_date),
            }
        )
    return {
        "persons": sorted(persons.values(), key=lambda p: p["id"]),
        "organizations": organizations,
        "memberships": memberships,
        "posts": posts,
    }


POPOLO_ROW_COLUMNS = ("type", "id", "name", "data")


def popolo_rows() -> Iterator[dict[str, Any]]:
    """The councils' Popolo document as rows for the open-data registry: one row per object,
    its type, id, display name and the whole Popolo object as `data` (as the actors app does)."""
    document = popolo_document()
    for kind, key in (
        ("person", "persons"),
        ("organization", "organizations"),
        ("membership", "memberships"),
        ("post", "posts"),
    ):
        for obj in document[key]:
            yield {
                "type": kind,
                "id": obj["id"],
                "name": obj.get("name") or obj.get("label") or obj.get("role") or "",
                "data": obj,
            }


# --- the territory page -----------------------------------------------------------------------

TERRITORY_SECTION_NEEDS = 20


def territory_section(territory: Any, *, on: date | None = None) -> dict[str, Any] | None:
    """The councils section of a territory's page (minga.territories.sections): the councils of
    the territory with their current composition, and the priority needs the councils decided
    for it or for any territory under it (the latest TERRITORY_SECTION_NEEDS). None when there
    is neither, so that the page leaves the section out."""
    day = on or timezone.localdate()
    councils = []
    for c in Council.objects.filter(territory=territory).order_by("name", "id"):
        term = term_on(council=c, on=day)
        councils.append({"council": c, "composition": composition(term=term) if term else None})
    needs = list(priority_needs(territory=territory)[:TERRITORY_SECTION_NEEDS])
    if not councils and not needs:
        return None
    return {"councils": councils, "needs": needs}
