"""`minga pb tally FILE.pb --rule {greedy,mes} --sat {cost,cardinality}
--completion {none,add1,add1u} [--add1-stop {within-budget,exhaustive}] [--json] [--explain]`

Bad arguments or a malformed file give one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn

from minga.voting.pabulib import PabulibError, format_number, parse_file
from minga.voting.pb import Options, tally
from minga.voting.pb.completions import ADD1_STOPS
from minga.voting.pb.prepared import SATISFACTIONS
from minga.voting.pb.tally import COMPLETIONS, RULES, Outcome


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> _Parser:
    parser = _Parser(prog="minga pb", add_help=True)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    count = commands.add_parser("tally", help="compute the outcome of a .pb election")
    count.add_argument("file", metavar="FILE.pb")
    count.add_argument("--rule", choices=RULES, required=True)
    count.add_argument("--sat", choices=SATISFACTIONS, required=True)
    count.add_argument("--completion", choices=COMPLETIONS, default="none")
    count.add_argument("--add1-stop", choices=ADD1_STOPS, default=None)
    count.add_argument("--json", action="store_true")
    count.add_argument("--explain", action="store_true")
    return parser


def _as_json(outcome: Outcome, explain: bool) -> dict[str, Any]:
    def number(value: Any) -> Any:
        text = format_number(value)
        return int(text) if value.denominator == 1 else text

    data: dict[str, Any] = {
        "selected": list(outcome.selected),
        "cost": number(outcome.cost),
        "budget": number(outcome.budget),
    }
    if explain:
        data["satisfaction"] = outcome.satisfaction
        if outcome.per_voter_budget is not None:
            data["per_voter_budget"] = str(outcome.per_voter_budget)
        data["explanations"] = [e.as_json() for e in outcome.explanations]
    return data


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.add1_stop is not None and args.completion == "none":
            raise _UsageError("--add1-stop needs --completion add1 or add1u")
        if args.rule == "greedy" and args.completion != "none":
            raise _UsageError("--completion applies to --rule mes only")
    except _UsageError as error:
        print(f"minga pb: {error}", file=sys.stderr)
        return 2
    except SystemExit as stop:  # --help
        return int(stop.code or 0)
    try:
        instance, profile = parse_file(args.file)
    except PabulibError as error:
        print(f"minga pb: {args.file}: {error}", file=sys.stderr)
        return 2
    options = Options(
        sat=args.sat, completion=args.completion, add1_stop=args.add1_stop or "within-budget"
    )
    outcome = tally(instance, profile, args.rule, options)
    if args.json:
        print(json.dumps(_as_json(outcome, args.explain), ensure_ascii=False))
        return 0
    print(f"Seleccionados ({len(outcome.selected)}): {', '.join(outcome.selected)}")
    print(f"Coste: {format_number(outcome.cost)} de {format_number(outcome.budget)}")
    if args.explain:
        for explanation in outcome.explanations:
            print(f"- {explanation.project_id}: {explanation.text()}")
    return 0
