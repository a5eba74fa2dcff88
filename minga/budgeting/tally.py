"""The bridge from a budget's ballot box to the voting library (minga.voting): the anonymised
ballots become a pabulib file, and the published result is the recount of that very file, so
that anyone who runs `minga pb tally` on it gets what the platform published.

Money in the file is in whole currency units (pabulib's custom, and Add1's step of one unit);
the services only accept amounts in whole units."""

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from minga.voting import pabulib
from minga.voting.pb import model as pb
from minga.voting.pb.tally import COMPLETIONS, RULES, Options
from minga.voting.pb.tally import tally as pb_tally

from .models import Completion, Process, Project, Rule

UNIT_CENTS = 100
# pabulib's names for the rules, written in the file's META `rule` row.
PABULIB_RULE_NAMES: dict[tuple[str, str], str] = {
    (Rule.MES, Completion.NONE): "equalshares",
    (Rule.MES, Completion.ADD1): "equalshares/add1",
    (Rule.MES, Completion.ADD1U): "equalshares/add1u",
    (Rule.GREEDY, Completion.NONE): "greedy",
}


@dataclass(frozen=True)
class Outcome:
    selected: list[str]
    greedy_selected: list[str]
    # Per project id: the voting library's explanation as JSON, its sentence under "text".
    explanations: dict[str, dict[str, Any]]
    cost_cents: int
    pb_file: str


def tally_command(process: Process) -> str:
    """The command line that recounts a published file with the process's rule."""
    parts = [
        "minga",
        "pb",
        "tally",
        "FILE.pb",
        "--rule",
        process.rule,
        "--sat",
        process.satisfaction,
    ]
    parts += ["--completion", process.completion if process.rule == Rule.MES else "none"]
    return " ".join(parts)


def election(
    *,
    process: Process,
    budget: Any,
    projects: Sequence[Project],
    ballots: Sequence[tuple[str, list[int]]],
    selected: Sequence[str] = (),
) -> tuple[pb.Instance, pb.Profile]:
    assert budget.amount_cents % UNIT_CENTS == 0
    meta: list[tuple[str, str]] = [
        ("description", f"{process.title}: {budget.name}"),
        ("country", process.territory.country_code),
        ("unit", process.territory.name),
        ("subunit", budget.territory.name),
        ("instance", process.slug),
        ("num_projects", str(len(projects))),
        ("num_votes", str(len(ballots))),
        ("budget", str(budget.amount_cents // UNIT_CENTS)),
        ("vote_type", "approval"),
        ("rule", PABULIB_RULE_NAMES.get((process.rule, process.completion), process.rule)),
        ("date_begin", process.voting_open_at.date().isoformat()),
        ("date_end", process.voting_close_at.date().isoformat()),
        ("currency", process.currency),
        ("language", "es"),
        ("min_length", str(process.min_projects)),
    ]
    if process.max_projects is not None:
        meta.append(("max_length", str(process.max_projects)))
    chosen = set(selected)
    pb_projects = []
    for project in projects:
        assert project.cost_cents % UNIT_CENTS == 0
        fields = [("name", project.title.replace(";", ",")), ("category", project.category.name)]
        if selected:
            fields.append(("selected", "1" if str(project.pk) in chosen else "0"))
        pb_projects.append(
            pb.Project(
                project_id=str(project.pk),
                cost=Fraction(project.cost_cents // UNIT_CENTS),
                fields=tuple(fields),
            )
        )
    instance = pb.Instance(
        budget=Fraction(budget.amount_cents // UNIT_CENTS),
        projects=tuple(pb_projects),
        meta=tuple(meta),
    )
    profile = pb.Profile(
        vote_type="approval",
        ballots=tuple(
            pb.Ballot(voter_id=voter_id, projects=tuple(str(p) for p in project_ids))
            for voter_id, project_ids in ballots
        ),
    )
    return instance, profile


def tally_budget(
    *,
    process: Process,
    budget: Any,
    projects: Sequence[Project],
    ballots: Sequence[tuple[str, list[int]]],
) -> Outcome:
    """Writes the file, recounts it with the process's rule (and greedily, for comparison), and
    writes it again with the `selected` column filled in."""
    ids = [voter_id for voter_id, _ in ballots]
    assert len(set(ids)) == len(ids), "two ballots share a public voter id"
    instance, profile = election(process=process, budget=budget, projects=projects, ballots=ballots)
    text = pabulib.write_string(instance, profile)
    instance, profile = pabulib.parse_string(text)
    selected, explanations = run_rule(
        instance,
        profile,
        rule=process.rule,
        satisfaction=process.satisfaction,
        completion=process.completion,
    )
    greedy_selected, _ = run_rule(
        instance, profile, rule=Rule.GREEDY, satisfaction=process.satisfaction, completion="none"
    )
    costs = {p.project_id: p.cost for p in instance.projects}
    cost_units = sum((costs[pid] for pid in selected), Fraction(0))
    assert cost_units <= instance.budget, "the outcome exceeds the budget"
    published_instance, published_profile = election(
        process=process, budget=budget, projects=projects, ballots=ballots, selected=selected
    )
    published = pabulib.write_string(published_instance, published_profile)
    return Outcome(
        selected=list(selected),
        greedy_selected=list(greedy_selected),
        explanations=explanations,
        cost_cents=int(cost_units * UNIT_CENTS),
        pb_file=published,
    )


def run_rule(
    instance: pb.Instance, profile: pb.Profile, *, rule: str, satisfaction: str, completion: str
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """One rule of the voting library, with its default tie-breaking and Add1 stop (those of
    `minga pb tally`, so that a recount of the published file gives the same outcome)."""
    assert rule in RULES and completion in COMPLETIONS
    assert satisfaction in ("cost", "cardinality")
    options = Options(sat=satisfaction, completion=completion)  # type: ignore[arg-type] # a str checked above
    outcome = pb_tally(instance, profile, rule, options)
    return list(outcome.selected), {e.project_id: e.as_json() for e in outcome.explanations}
