"""The single transferable vote, counted by the Scottish STV rules.

The rules are those of The Scottish Local Government Elections Order 2007 (SSI 2007/42),
Schedule 1, rules 45 to 52; each step below cites the rule it follows. docs/stv.md explains
the count for voters and for developers, including the choices the rules leave open.

Arithmetic is exact: a vote total is an integer number of hundred-thousandths of a vote
(`SCALE`), so "to five decimal places (any remainder being ignored)" (rule 48(3)) is integer
floor division, and no float is ever involved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from minga.voting.blt import Election

SCALE = 100_000
"""Votes are counted in units of 1/100,000 of a vote: five decimal places (rule 48(3))."""

Action = Literal["first preferences", "surplus", "exclusion"]


class StvError(ValueError):
    """A count that cannot be made as asked; the message names the argument at fault."""


class VacancyError(StvError):
    """A vacancy recount asked with inconsistent candidates; the message names the argument."""


def format_votes(units: int) -> str:
    """A vote total as the count sheet prints it: always five decimals, exact ("-3.50000")."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), SCALE)
    return f"{sign}{whole}.{fraction:05d}"


@dataclass(frozen=True)
class TieBreak:
    """How a tie was broken (rules 49(2)-(3) and 51(2)).

    `method` is "earlier stage" (decided by the votes at `stage`) or "lot" (the `lot`-th draw
    of this count, see `draw_lot`)."""

    among: tuple[int, ...]
    chosen: int
    method: Literal["earlier stage", "lot"]
    stage: int | None = None
    lot: int | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "among": list(self.among),
            "chosen": self.chosen,
            "method": self.method,
            "stage": self.stage,
            "lot": self.lot,
        }


@dataclass(frozen=True)
class Transfer:
    """The papers of one value moved in a surplus transfer: `papers` papers that each had
    `value` when the transferring candidate received them now carry `transfer_value`."""

    value: int
    transfer_value: int
    papers: int

    def to_json(self) -> dict[str, object]:
        return {
            "value": format_votes(self.value),
            "transfer_value": format_votes(self.transfer_value),
            "papers": self.papers,
        }


@dataclass(frozen=True)
class Stage:
    """One stage of the count sheet. Every vote figure is in units of 1/SCALE of a vote.

    `transfers` is the change of every candidate's votes at this stage (negative for the
    candidate whose papers moved); `votes` the totals at the end of the stage, for every
    candidate who is not withdrawn (an excluded candidate shows 0, an elected one whose surplus
    has gone shows the quota). `non_transferable` is the value of the papers that had no further
    preference for a continuing candidate; `truncation_loss` the part of a surplus lost by
    cutting transfer values to five decimals (rule 48(3)). Both are for this stage alone."""

    number: int
    action: Action
    candidate: int | None
    transfer_values: tuple[Transfer, ...]
    transfers: dict[int, int]
    non_transferable: int
    truncation_loss: int
    votes: dict[int, int]
    elected: tuple[int, ...]
    deemed_elected: tuple[int, ...]
    excluded: tuple[int, ...]
    tie_break: TieBreak | None

    def to_json(self) -> dict[str, object]:
        return {
            "stage": self.number,
            "action": self.action,
            "candidate": self.candidate,
            "transfer_values": [t.to_json() for t in self.transfer_values],
            "transfers": {str(c): format_votes(v) for c, v in self.transfers.items()},
            "non_transferable": format_votes(self.non_transferable),
            "truncation_loss": format_votes(self.truncation_loss),
            "votes": {str(c): format_votes(v) for c, v in self.votes.items()},
            "elected": list(self.elected),
            "deemed_elected": list(self.deemed_elected),
            "excluded": list(self.excluded),
            "tie_break": self.tie_break.to_json() if self.tie_break else None,
        }


@dataclass(frozen=True)
class StvResult:
    """A whole count: who was elected, in order, and the count sheet that shows why."""

    seats: int
    quota: int
    valid_ballots: int
    invalid_ballots: int
    seed: int
    withdrawn: tuple[int, ...]
    protected: tuple[int, ...]
    elected: tuple[int, ...]
    excluded: tuple[int, ...]
    stages: tuple[Stage, ...]

    @property
    def unfilled_seats(self) -> int:
        return self.seats - len(self.elected)

    def to_json(self) -> dict[str, object]:
        return {
            "elected": list(self.elected),
            "excluded": list(self.excluded),
            "seats": self.seats,
            "unfilled_seats": self.unfilled_seats,
            "quota": format_votes(self.quota),
            "valid_ballots": self.valid_ballots,
            "invalid_ballots": self.invalid_ballots,
            "seed": self.seed,
            "withdrawn": list(self.withdrawn),
            "protected": list(self.protected),
            "stages": [stage.to_json() for stage in self.stages],
        }


@dataclass(frozen=True)
class VacancyResult:
    """A vacancy recount: `candidates` fill the open seats in this order (usually one)."""

    candidates: tuple[int, ...]
    recount: StvResult

    @property
    def candidate(self) -> int | None:
        return self.candidates[0] if self.candidates else None

    def to_json(self) -> dict[str, object]:
        return {"candidates": list(self.candidates), "recount": self.recount.to_json()}


def draw_lot(seed: int, ordinal: int, among: Iterable[int]) -> int:
    """The `ordinal`-th lot of a count (from 1): one of `among`, reproducible by anyone.

    The tied candidates are sorted by number; the SHA-256 digest of the ASCII text
    "minga-stv-lot:<seed>:<ordinal>" read as a big-endian integer, modulo their count, is the
    position of the one drawn. It depends on nothing but the published seed."""
    candidates = sorted(among)
    assert candidates, "a lot needs at least one candidate"
    digest = hashlib.sha256(f"minga-stv-lot:{seed}:{ordinal}".encode("ascii")).digest()
    return candidates[int.from_bytes(digest, "big") % len(candidates)]


def count(election: Election, *, seed: int, seats: int | None = None) -> StvResult:
    """Count an election by the Scottish STV rules. `seats` overrides the election's own.

    `seed` decides the lots that rules 49(3) and 51(2)(b) call for; it is recorded in the
    result so that anyone can repeat the count exactly."""
    return _Count(
        election,
        seats=election.seats if seats is None else seats,
        seed=seed,
        withdrawn=election.withdrawn,
        protected=frozenset(),
    ).run()


def fill_vacancy(
    election: Election,
    *,
    departed: int,
    holding: Collection[int],
    unavailable: Collection[int] = (),
    seed: int,
) -> VacancyResult:
    """Recount the stored ballots to fill the seat that `departed` left (docs/stv.md).

    The departed member and the `unavailable` candidates are treated as withdrawn; the
    members still `holding` a seat keep their positions: they can be elected but never
    excluded. The count fills the election's number of seats, and every candidate it elects
    who is not already holding a seat fills a vacancy, in order of election."""
    numbers = set(election.numbers)
    holders, gone = list(holding), list(unavailable)
    if departed not in numbers:
        raise VacancyError(f"departed: candidate {departed} does not exist")
    if departed in election.withdrawn:
        raise VacancyError(f"departed: candidate {departed} withdrew before the count")
    for name, group in (("holding", holders), ("unavailable", gone)):
        for number in group:
            if number not in numbers:
                raise VacancyError(f"{name}: candidate {number} does not exist")
        if len(set(group)) != len(group):
            raise VacancyError(f"{name}: a candidate is listed twice")
    for number in holders:
        if number in election.withdrawn:
            raise VacancyError(f"holding: candidate {number} withdrew before the count")
        if number == departed or number in gone:
            raise VacancyError(f"holding: candidate {number} cannot both hold a seat and be gone")
    if len(holders) >= election.seats:
        raise VacancyError(
            f"holding: {len(holders)} members hold seats, so none of the "
            f"{election.seats} seats is vacant"
        )
    recount = _Count(
        election,
        seats=election.seats,
        seed=seed,
        withdrawn=election.withdrawn | {departed} | set(gone),
        protected=frozenset(holders),
    ).run()
    fillers = tuple(c for c in recount.elected if c not in recount.protected)
    return VacancyResult(candidates=fillers, recount=recount)


class _Count:
    """The state of one count. Papers with identical preferences are kept as one group."""

    def __init__(
        self,
        election: Election,
        *,
        seats: int,
        seed: int,
        withdrawn: frozenset[int],
        protected: frozenset[int],
    ) -> None:
        if seats < 1:
            raise StvError(f"seats: must be at least 1, not {seats}")
        if seed < 0:
            raise StvError(f"seed: must be zero or more, not {seed}")
        self.seats = seats
        self.seed = seed
        self.withdrawn = withdrawn
        self.protected = protected
        self.candidates = [c for c in election.numbers if c not in withdrawn]

        # Rule 45: only preferences for candidates standing at the count matter; a withdrawn
        # candidate is skipped as if never printed on the paper.
        groups: dict[tuple[int, ...], int] = {}
        self.invalid_ballots = 0
        for ballot in election.ballots:
            preferences = ballot.preferences
            if withdrawn and not withdrawn.isdisjoint(preferences):
                preferences = tuple(c for c in preferences if c not in withdrawn)
            if preferences:
                groups[preferences] = groups.get(preferences, 0) + ballot.weight
            else:
                self.invalid_ballots += ballot.weight
        self.preferences = list(groups)
        self.weights = list(groups.values())
        self.values = [SCALE] * len(self.preferences)
        self.positions = [0] * len(self.preferences)
        self.valid_ballots = sum(self.weights)
        if self.valid_ballots == 0:
            raise StvError("ballots: there is no valid ballot to count")

        # Rule 46: the quota ignores decimal places, then adds one.
        self.quota = (self.valid_ballots // (seats + 1) + 1) * SCALE

        self.continuing = set(self.candidates)
        self.votes = dict.fromkeys(self.candidates, 0)
        self.papers: dict[int, list[int]] = {c: [] for c in self.candidates}
        self.elected: list[int] = []
        self.excluded: list[int] = []
        self.surplus_pending: list[int] = []
        self.history: list[dict[int, int]] = []
        self.stages: list[Stage] = []
        self.lots = 0
        self.non_transferable_total = 0
        self.loss_total = 0

    def run(self) -> StvResult:
        # Rule 45: the first stage credits each paper to its first preference at value one.
        for group, preferences in enumerate(self.preferences):
            first = preferences[0]
            self.papers[first].append(group)
            self.votes[first] += self.weights[group] * SCALE
        self._close_stage("first preferences", None, (), {}, 0, 0, None)

        while self._vacancies_open() and self.continuing:
            if self.surplus_pending:
                self._transfer_surplus()
            else:
                self._exclude_lowest()

        assert len(self.elected) <= self.seats
        assert self.protected <= set(self.elected), "a protected member always keeps a seat"
        for candidate in self.continuing:
            held = sum(self.weights[g] * self.values[g] for g in self.papers[candidate])
            assert held == self.votes[candidate], "a candidate's votes are the papers held"
        return StvResult(
            seats=self.seats,
            quota=self.quota,
            valid_ballots=self.valid_ballots,
            invalid_ballots=self.invalid_ballots,
            seed=self.seed,
            withdrawn=tuple(sorted(self.withdrawn)),
            protected=tuple(sorted(self.protected)),
            elected=tuple(self.elected),
            excluded=tuple(self.excluded),
            stages=tuple(self.stages),
        )

    # --- the steps of the count -----------------------------------------------------------

    def _vacancies_open(self) -> bool:
        return len(self.elected) < self.seats

    def _open_seats(self) -> int:
        """Seats still open to candidates who hold no protected position. Without protection
        this is simply the number of vacancies remaining."""
        unprotected_elected = sum(1 for c in self.elected if c not in self.protected)
        return self.seats - len(self.protected) - unprotected_elected

    def _transfer_surplus(self) -> None:
        # Rule 49(1): the highest surplus first; 49(2)-(3): ties by earlier stages, then lot.
        highest = max(self.votes[c] for c in self.surplus_pending)
        tied = [c for c in self.surplus_pending if self.votes[c] == highest]
        source, tie_break = self._break_tie(tied, highest=True)
        self.surplus_pending.remove(source)
        total = self.votes[source]
        surplus = total - self.quota
        assert surplus > 0
        # Rule 48(3): each paper's transfer value is the surplus times the paper's value when
        # the candidate received it, divided by the candidate's votes, to five decimals with
        # the remainder ignored. All papers the candidate holds are looked at (inclusive).
        papers_by_value: dict[int, int] = {}
        values, weights = self.values, self.weights
        for group in self.papers[source]:
            value = values[group]
            papers_by_value[value] = papers_by_value.get(value, 0) + weights[group]
        transfer_values = {value: surplus * value // total for value in papers_by_value}
        gains, non_transferable = self._move(self.papers[source], transfer_values)
        self.papers[source] = []
        moved = sum(gains.values())
        loss = surplus - moved - non_transferable
        assert loss >= 0, "truncation can only lose votes, never create them"
        self.votes[source] = self.quota
        transfers = {source: -surplus, **gains}
        self.loss_total += loss
        summary = tuple(
            Transfer(value, transfer_values[value], papers_by_value[value])
            for value in sorted(transfer_values, reverse=True)
        )
        self._close_stage("surplus", source, summary, transfers, non_transferable, loss, tie_break)

    def _exclude_lowest(self) -> None:
        # Rule 50(1): exclude the continuing candidate with the fewest votes; 51: ties by
        # earlier stages, then lot. A protected member in a vacancy recount is never excluded.
        eligible = [c for c in self.continuing if c not in self.protected]
        assert eligible, "rule 52 fills the seats before only protected members are left"
        lowest = min(self.votes[c] for c in eligible)
        tied = [c for c in eligible if self.votes[c] == lowest]
        loser, tie_break = self._break_tie(tied, highest=False)
        self.continuing.remove(loser)
        self.excluded.append(loser)
        # Rule 50(4): the papers go on at the value they had when the excluded candidate got
        # them (one for first preferences).
        gains, non_transferable = self._move(self.papers[loser], None)
        self.papers[loser] = []
        transfers = {loser: -self.votes[loser], **gains}
        self.votes[loser] = 0
        self._close_stage("exclusion", loser, (), transfers, non_transferable, 0, tie_break)

    def _move(
        self, groups: list[int], transfer_values: dict[int, int] | None
    ) -> tuple[dict[int, int], int]:
        """Move each group of papers to its next continuing preference (rules 48(1), 50(2)),
        at its transfer value (`transfer_values[value on arrival]`, for a surplus) or at the
        value it has (None, for an exclusion). Returns the votes each candidate gains, in order
        of first gain, and the value of the papers with no further preference (non-transferable).

        This loop is most of a count's work (every paper that moves passes through it), so it
        is written out with local names rather than split into a call per group."""
        preferences, positions, values = self.preferences, self.positions, self.values
        weights, papers, continuing = self.weights, self.papers, self.continuing
        gains: dict[int, int] = {}
        non_transferable = 0
        for group in groups:
            value = values[group] if transfer_values is None else transfer_values[values[group]]
            ranking = preferences[group]
            end = len(ranking)
            position = positions[group] + 1
            while position < end and ranking[position] not in continuing:
                position += 1
            amount = weights[group] * value
            if position == end:
                non_transferable += amount
                continue
            target = ranking[position]
            positions[group] = position
            values[group] = value
            papers[target].append(group)
            gains[target] = gains.get(target, 0) + amount
        for target, amount in gains.items():
            self.votes[target] += amount
        return gains, non_transferable

    def _close_stage(
        self,
        action: Action,
        candidate: int | None,
        transfer_values: tuple[Transfer, ...],
        transfers: dict[int, int],
        non_transferable: int,
        loss: int,
        tie_break: TieBreak | None,
    ) -> None:
        self.non_transferable_total += non_transferable
        # The history used for ties holds the totals at the end of each stage, before anyone
        # reaching the quota at this stage is marked elected (their totals do not change).
        self.history.append(dict(self.votes))
        elected = self._elect_quota_reached()
        deemed = self._fill_last_vacancies()
        excluded = (candidate,) if action == "exclusion" and candidate is not None else ()
        self.stages.append(
            Stage(
                number=len(self.stages) + 1,
                action=action,
                candidate=candidate,
                transfer_values=transfer_values,
                transfers=transfers,
                non_transferable=non_transferable,
                truncation_loss=loss,
                votes=dict(self.votes),
                elected=elected,
                deemed_elected=deemed,
                excluded=excluded,
                tie_break=tie_break,
            )
        )
        conserved = sum(self.votes.values()) + self.non_transferable_total + self.loss_total
        assert conserved == self.valid_ballots * SCALE, "votes are neither created nor lost"

    def _elect_quota_reached(self) -> tuple[int, ...]:
        # Rule 47(1): a candidate whose votes equal or exceed the quota is elected.
        reached = [c for c in self.continuing if self.votes[c] >= self.quota]
        # Listed by votes, then by the earlier stages, then by number: the order only matters
        # for the listing, except in a vacancy recount with more unprotected candidates over
        # the quota than open seats, where the order decides (ties there go to the lot).
        reached.sort(key=lambda c: (-self.votes[c], self._earlier_stage_rank(c), c))
        unprotected = [c for c in reached if c not in self.protected]
        open_seats = self._open_seats()
        if len(unprotected) > open_seats:
            keep = self._choose_highest(unprotected, open_seats)
            reached = [c for c in reached if c in self.protected or c in keep]
        for candidate in reached:
            self.continuing.remove(candidate)
            self.elected.append(candidate)
            if self.votes[candidate] > self.quota:
                self.surplus_pending.append(candidate)
        assert len(self.elected) <= self.seats, "no more candidates reach a Droop quota"
        return tuple(reached)

    def _fill_last_vacancies(self) -> tuple[int, ...]:
        # Rule 52: when the continuing candidates are no more than the vacancies, they are
        # deemed elected and no further transfer is made. In a vacancy recount the protected
        # members are certain of a seat, so the test counts the unprotected candidates against
        # the seats open to them.
        open_seats = self._open_seats()
        unprotected = [c for c in self.continuing if c not in self.protected]
        if open_seats > 0 and len(unprotected) > open_seats:
            return ()
        # Every open seat can now be filled without a further transfer, or none is left open
        # (then only protected members still to be seated are deemed elected).
        if open_seats > 0:
            deemed = list(self.continuing)
        else:
            deemed = [c for c in self.continuing if c in self.protected]
        deemed.sort(key=lambda c: (-self.votes[c], self._earlier_stage_rank(c), c))
        for candidate in deemed:
            self.continuing.remove(candidate)
            self.elected.append(candidate)
        # No further transfer is made (rule 52(2)), nor one for a seat no longer open (48(1)).
        self.surplus_pending.clear()
        return tuple(deemed)

    # --- ties ---------------------------------------------------------------------------

    def _earlier_stage_rank(self, candidate: int) -> tuple[int, ...]:
        """Negated totals from the latest stage back, so that sorting ascending puts first the
        candidate who was ahead at the most recent stage where they differed."""
        return tuple(-stage[candidate] for stage in reversed(self.history))

    def _choose_highest(self, ordered: list[int], keep: int) -> set[int]:
        chosen: set[int] = set()
        remaining = list(ordered)
        while len(chosen) < keep:
            top = max(self.votes[c] for c in remaining)
            winner, _ = self._break_tie([c for c in remaining if self.votes[c] == top], True)
            chosen.add(winner)
            remaining.remove(winner)
        return chosen

    def _break_tie(self, tied: list[int], highest: bool) -> tuple[int, TieBreak | None]:
        """Rules 49(2) and 51(2): look back to the most recent stage at which the tied
        candidates had unequal votes and take the highest (or lowest) there; if several share
        it, keep looking back among them. Equal at every stage: decide by lot."""
        if len(tied) == 1:
            return tied[0], None
        among = tuple(sorted(tied))
        remaining = list(among)
        for index in range(len(self.history) - 1, -1, -1):
            totals = {c: self.history[index][c] for c in remaining}
            if len(set(totals.values())) == 1:
                continue
            best = max(totals.values()) if highest else min(totals.values())
            remaining = [c for c in remaining if totals[c] == best]
            if len(remaining) == 1:
                return remaining[0], TieBreak(among, remaining[0], "earlier stage", stage=index + 1)
        self.lots += 1
        chosen = draw_lot(self.seed, self.lots, remaining)
        return chosen, TieBreak(among, chosen, "lot", lot=self.lots)
