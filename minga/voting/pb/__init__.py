"""Participatory-budgeting rules: greedy by utilitarian welfare, the Method of Equal Shares and
its Add1 completions, exact (fractions) and explained. No Django, no minga app: Python, with an
optional C filter (_mesfilter.c, ADR 0002) that speeds up Add1 and never decides an outcome."""

from minga.voting.pb.explanations import Explanation
from minga.voting.pb.model import Ballot, Instance, Profile, Project
from minga.voting.pb.tally import Options, Outcome, greedy_rule, mes_rule, tally

__all__ = [
    "Ballot",
    "Explanation",
    "Instance",
    "Options",
    "Outcome",
    "Profile",
    "Project",
    "greedy_rule",
    "mes_rule",
    "tally",
]
