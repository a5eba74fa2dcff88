"""Reads of participatory budgeting: phases, who may do what, eligibility, tallies for the
budget bar, results for the charts, open-data rows."""

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import Count, Max, QuerySet

from minga.accounts.selectors import (
    access_territory_as_official,
    roles_active,
    user_is_administrator,
)
from minga.core.roles import Role
from minga.councils.selectors import priority_needs_bearing_on
from minga.territories.selectors import territory_by_code, territory_is_within

from .formatting import explanation_text
from .models import (
    Ballot,
    BallotKind,
    Budget,
    Category,
    CensusEntry,
    Eligibility,
    Phase,
    Process,
    Project,
    ProjectStatus,
    ProjectUpdate,
    Result,
    VoterRecord,
)

# How many characters of a receipt's SHA-256 name its ballot in the published files: 64 bits,
# enough that two ballots of one budget never share a name in practice; a collision is
# checked for when the file is written.
PUBLIC_VOTER_ID_CHARS = 16


def receipt_sha256(receipt: str) -> str:
    return hashlib.sha256(receipt.strip().encode("utf-8")).hexdigest()


def public_voter_id(receipt_hash: str) -> str:
    """The name of a ballot in the published .pb file and open data."""
    return receipt_hash[:PUBLIC_VOTER_ID_CHARS]


# --- processes and phases ---------------------------------------------------------------------


def process_phase(process: Process, *, at: datetime) -> Phase:
    if at < process.proposals_open_at:
        return Phase.UPCOMING
    if at < process.review_open_at:
        return Phase.PROPOSALS
    if at < process.voting_open_at:
        return Phase.REVIEW
    if at < process.voting_close_at:
        return Phase.VOTING
    if at < process.implementation_open_at:
        return Phase.RESULTS
    return Phase.IMPLEMENTATION


@dataclass(frozen=True)
class PhaseStep:
    phase: Phase
    starts_at: datetime
    current: bool


def process_timeline(process: Process, *, at: datetime) -> list[PhaseStep]:
    current = process_phase(process, at=at)
    steps = [
        (Phase.PROPOSALS, process.proposals_open_at),
        (Phase.REVIEW, process.review_open_at),
        (Phase.VOTING, process.voting_open_at),
        (Phase.RESULTS, process.voting_close_at),
        (Phase.IMPLEMENTATION, process.implementation_open_at),
    ]
    return [PhaseStep(phase, starts_at, phase == current) for phase, starts_at in steps]


def processes_all() -> QuerySet[Process]:
    return Process.objects.select_related("territory").order_by("-voting_open_at", "slug")


def process_by_slug(*, slug: str) -> Process | None:
    if "\x00" in slug:
        return None  # PostgreSQL refuses NUL in text: no process can have it
    return Process.objects.select_related("territory").filter(slug=slug).first()


def process_slug_taken(*, slug: str) -> bool:
    return Process.objects.filter(slug=slug).exists()


def budgets_of(process: Process) -> list[Budget]:
    return list(process.budgets.select_related("territory").order_by("name"))


def budget_of(process: Process, *, budget_id: int) -> Budget | None:
    return process.budgets.select_related("territory").filter(pk=budget_id).first()


def territory_model() -> Any:
    return apps.get_model("territories", "Territory")


def territory_of(*, country_code: str, code: str) -> Any:
    return territory_by_code(country_code=country_code, code=code)


def territory_within(territory: Any, ancestor: Any) -> bool:
    return bool(territory_is_within(territory, ancestor))


# --- access -----------------------------------------------------------------------------------


def official_territories(user: Any, *, at: datetime) -> list[Any]:
    """The territories a user may open processes in: those of their official roles (or every
    territory with children, for an administrator)."""
    if user_is_administrator(user, at=at):
        return list(
            territory_model().objects.filter(children__isnull=False).distinct().order_by("path")
        )
    if not getattr(user, "is_authenticated", False):
        return []
    roles = roles_active(user=user, at=at).filter(role=Role.OFFICIAL).select_related("territory")
    return sorted({r.territory for r in roles if r.territory is not None}, key=lambda t: t.path)


def access_process_as_official(user: Any, process: Process, *, at: datetime | None = None) -> bool:
    """Officials act only for processes of their own territory (or one under it)."""
    return access_territory_as_official(user, process.territory, at=at)


# --- categories and the councils' priority needs ---------------------------------------------


def categories_of(process: Process) -> list[Category]:
    """A process's categories, each with the council decision it was taken from, if any."""
    return list(
        process.categories.select_related(
            "source_decision__territory", "source_decision__council", "source_decision__motion"
        ).order_by("name", "id")
    )


def category_of(process: Process, *, category_id: int) -> Category | None:
    return process.categories.filter(pk=category_id).first()


def category_taken_names(process: Process) -> set[str]:
    """The names of a process's categories, case folded (names are unique regardless of case)."""
    return {name.casefold() for name in process.categories.values_list("name", flat=True)}


def priority_needs_for(process: Process, *, at: datetime) -> list[Any]:
    """The priority needs that the joint councils had published by `at` for the process's
    territory, for a territory inside it, or for a territory containing it (see
    minga.councils.selectors.priority_needs_bearing_on), oldest first."""
    return list(priority_needs_bearing_on(territory=process.territory, at=at))


def priority_needs_taken(process: Process) -> set[int]:
    """The ids of the council decisions this process has already taken a category from."""
    return set(
        process.categories.filter(source_decision__isnull=False).values_list(
            "source_decision_id", flat=True
        )
    )


# --- projects ---------------------------------------------------------------------------------


def projects_of(process: Process) -> QuerySet[Project]:
    return process.projects.select_related("budget", "category", "location").order_by(
        "budget__name", "id"
    )


def project_by_id(*, project_id: int) -> Project | None:
    return (
        Project.objects.select_related(
            "process__territory",
            "budget",
            "category__source_decision__territory",
            "category__source_decision__council",
            "category__source_decision__motion",
        )
        .filter(pk=project_id)
        .first()
    )


def projects_to_review(process: Process) -> QuerySet[Project]:
    return projects_of(process).filter(status=ProjectStatus.SUBMITTED)


def ballot_projects(budget: Budget) -> list[Project]:
    """The projects on a budget's ballot: those found feasible."""
    return list(
        budget.projects.filter(status=ProjectStatus.FEASIBLE)
        .select_related("category")
        .order_by("id")
    )


def project_updates(project: Project) -> list[ProjectUpdate]:
    return list(project.updates.order_by("update_date", "id"))


# --- eligibility and ballots ------------------------------------------------------------------


def census_entry_of_user(process: Process, *, user: Any) -> CensusEntry | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return process.census.select_related("territory").filter(user=user).first()


def census_entry_by_identifier(process: Process, *, identifier: str) -> CensusEntry | None:
    return process.census.select_related("territory").filter(identifier=identifier).first()


def census_size(process: Process) -> int:
    return process.census.count()


def budget_is_open_to(budget: Budget, *, entry: CensusEntry) -> bool:
    """The process's rule for which budgets a resident may vote in."""
    if budget.process_id != entry.process_id:
        return False
    if budget.process.eligibility == Eligibility.ALL_BUDGETS:
        return True
    return territory_within(entry.territory, budget.territory)


def budgets_open_to(process: Process, *, entry: CensusEntry) -> list[Budget]:
    return [b for b in budgets_of(process) if budget_is_open_to(b, entry=entry)]


def has_voted(budget: Budget, *, entry: CensusEntry) -> bool:
    return VoterRecord.objects.filter(budget=budget, census_entry=entry).exists()


def voter_record(budget: Budget, *, entry: CensusEntry) -> VoterRecord | None:
    return VoterRecord.objects.filter(budget=budget, census_entry=entry).first()


def ballot_by_receipt(budget: Budget, *, receipt: str) -> Ballot | None:
    return Ballot.objects.filter(budget=budget, receipt_sha256=receipt_sha256(receipt)).first()


def ballot_project_ids(ballot: Ballot) -> list[int]:
    return sorted(ballot.projects.values_list("id", flat=True))


@dataclass(frozen=True)
class BudgetBar:
    """The running total of a ballot against the budget, for the live budget bar."""

    budget_cents: int
    chosen_cents: int
    chosen_count: int
    knapsack: bool

    @property
    def left_cents(self) -> int:
        return self.budget_cents - self.chosen_cents

    @property
    def over(self) -> bool:
        return self.knapsack and self.chosen_cents > self.budget_cents

    @property
    def percent(self) -> int:
        """The filled part of the bar, capped at 100 (the text says by how much it is over)."""
        return min(100, self.chosen_cents * 100 // self.budget_cents)


def budget_bar(budget: Budget, *, project_ids: Iterable[int]) -> BudgetBar:
    wanted = set(project_ids)
    chosen = [p for p in ballot_projects(budget) if p.pk in wanted]
    return BudgetBar(
        budget_cents=budget.amount_cents,
        chosen_cents=sum(p.cost_cents for p in chosen),
        chosen_count=len(chosen),
        knapsack=budget.process.ballot_kind == BallotKind.KNAPSACK,
    )


def ballots_of(budget: Budget) -> list[tuple[str, list[int]]]:
    """The ballot box of a budget, anonymised: (public voter id, project ids), sorted by the
    public id, which is a hash and so says nothing of the order in which ballots were cast."""
    through = Ballot.projects.through
    hashes = dict(Ballot.objects.filter(budget=budget).values_list("id", "receipt_sha256"))
    chosen: dict[Any, list[int]] = {ballot_id: [] for ballot_id in hashes}
    for ballot_id, project_id in through.objects.filter(ballot__budget=budget).values_list(
        "ballot_id", "project_id"
    ):
        chosen[ballot_id].append(project_id)
    return sorted((public_voter_id(h), sorted(chosen[b])) for b, h in hashes.items())


def votes_per_project(budget: Budget) -> dict[int, int]:
    through = Ballot.projects.through
    counts = (
        through.objects.filter(ballot__budget=budget)
        .values("project_id")
        .annotate(n=Count("ballot_id"))
        .order_by()
    )
    return {int(row["project_id"]): int(row["n"]) for row in counts}


def turnout(budget: Budget) -> int:
    return VoterRecord.objects.filter(budget=budget).count()


# --- results ----------------------------------------------------------------------------------


def result_of(budget: Budget) -> Result | None:
    return Result.objects.filter(budget=budget).first()


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    # Width of the bar as a percentage of the largest value in its chart.
    percent: float
    text: str
    highlight: bool = False


def bars(items: list[tuple[str, int, str, bool]]) -> list[Bar]:
    """Bars for an SVG chart: (label, value, value as text, highlight)."""
    top = max((value for _label, value, _text, _h in items), default=0)
    return [
        Bar(label, value, round(value * 100 / top, 2) if top else 0.0, text, highlight)
        for label, value, text, highlight in items
    ]


@dataclass
class BudgetResults:
    budget: Budget
    result: Result
    projects: list[Project]
    votes: dict[int, int]
    selected: list[Project]
    greedy: list[Project]
    # Per project: the voting library's explanation as stored (figures and its Spanish
    # sentence); pages render it in the reader's language with formatting.explanation_text.
    explanations: dict[int, dict[str, Any]]


def results_of(process: Process) -> list[BudgetResults]:
    out = []
    for budget in budgets_of(process):
        result = result_of(budget)
        if result is None:
            continue
        projects = {p.pk: p for p in ballot_projects(budget)}
        out.append(
            BudgetResults(
                budget=budget,
                result=result,
                projects=list(projects.values()),
                votes=votes_per_project(budget),
                selected=[projects[int(pid)] for pid in result.selected],
                greedy=[projects[int(pid)] for pid in result.greedy_selected],
                explanations={int(k): v for k, v in result.explanations.items()},
            )
        )
    return out


# --- open data --------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def processes_open_data_rows() -> Iterator[dict[str, Any]]:
    for process in processes_all():
        for budget in budgets_of(process):
            yield {
                "process": process.slug,
                "title": process.title,
                "territory_code": process.territory.code,
                "country_code": process.territory.country_code,
                "currency": process.currency,
                "budget_id": budget.pk,
                "budget_name": budget.name,
                "budget_territory_code": budget.territory.code,
                "budget_amount_cents": budget.amount_cents,
                "proposals_open_at": _iso(process.proposals_open_at),
                "review_open_at": _iso(process.review_open_at),
                "voting_open_at": _iso(process.voting_open_at),
                "voting_close_at": _iso(process.voting_close_at),
                "implementation_open_at": _iso(process.implementation_open_at),
                "rule": process.rule,
                "satisfaction": process.satisfaction,
                "completion": process.completion,
                "results_published_at": _iso(process.results_published_at),
            }


def projects_open_data_rows() -> Iterator[dict[str, Any]]:
    for project in Project.objects.select_related(
        "process", "budget", "category", "location"
    ).order_by("process__slug", "id"):
        yield {
            "process": project.process.slug,
            "project_id": project.pk,
            "budget_id": project.budget_id,
            "title": project.title,
            "category": project.category.name,
            "location_code": project.location.code,
            "estimated_cost_cents": project.estimated_cost_cents,
            "cost_cents": project.cost_cents,
            "status": project.status,
            "review_reason": project.review_reason,
            "selected": project.selected,
            "implementation_status": project.implementation_status,
            "progress_percent": project.progress_percent,
            "spent_cents": project.spent_cents,
            "category_decision_id": project.category.source_decision_id,
        }


def results_open_data_rows() -> Iterator[dict[str, Any]]:
    for result in Result.objects.select_related("budget", "budget__process").order_by(
        "budget__process__slug", "budget_id"
    ):
        budget = result.budget
        votes = votes_per_project(budget)
        order = {int(pid): i + 1 for i, pid in enumerate(result.selected)}
        for project in ballot_projects(budget):
            yield {
                "process": budget.process.slug,
                "budget_id": budget.pk,
                "project_id": project.pk,
                "title": project.title,
                "cost_cents": project.cost_cents,
                "votes": votes.get(project.pk, 0),
                "selected": project.pk in order,
                "selection_order": order.get(project.pk),
                "selected_by_greedy": str(project.pk) in result.greedy_selected,
                # In the reader's language, as on the results page and in the API.
                "explanation": (
                    explanation_text(explained, currency=budget.process.currency)
                    if (explained := result.explanations.get(str(project.pk)))
                    else ""
                ),
                "rule": result.rule,
                "satisfaction": result.satisfaction,
                "completion": result.completion,
            }


def ballots_open_data_rows() -> Iterator[dict[str, Any]]:
    """Published only with the results: before, the box stays closed."""
    for result in Result.objects.select_related("budget", "budget__process").order_by(
        "budget__process__slug", "budget_id"
    ):
        for voter_id, project_ids in ballots_of(result.budget):
            yield {
                "process": result.budget.process.slug,
                "budget_id": result.budget_id,
                "voter_id": voter_id,
                "projects": ";".join(str(p) for p in project_ids),
            }


def budgeting_updated_at() -> datetime | None:
    at: datetime | None = Process.objects.aggregate(at=Max("updated_at"))["at"]
    return at


# --- receipts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptFound:
    """What a receipt code shows its holder: the budget its ballot is in, the ballot's name in
    the published file, what it chose, and whether that file is out yet."""

    budget: Budget
    voter_id: str
    project_ids: list[int]
    published: bool


def receipt_lookup(process: Process, *, receipt: str) -> ReceiptFound | None:
    """The ballot of a process that a receipt code opens, as the check page shows it, or None.
    The code is the only way to a ballot: its hash is unique across every box."""
    ballot = (
        Ballot.objects.select_related("budget__territory", "budget__process")
        .filter(budget__process=process, receipt_sha256=receipt_sha256(receipt))
        .first()
    )
    if ballot is None:
        return None
    return ReceiptFound(
        budget=ballot.budget,
        voter_id=public_voter_id(ballot.receipt_sha256),
        project_ids=ballot_project_ids(ballot),
        published=result_of(ballot.budget) is not None,
    )
