"""Computes pabutools' outcomes on the shared pabulib elections, for Minga's cross-check tests.

pabutools is not a Minga dependency: run this script with a separate environment that has it,
the one `make bench-peers` makes (pabutools 1.2.3 and pulp 2.9.0 in .bench/pabutools):

    make bench-peers
    .bench/pabutools/bin/python scripts/pabutools_references.py [--timeout-s 600] [FILE.pb ...]

(pabutools 1.2.3 imports PULP_CBC_CMD, which PuLP 3 and later no longer export: pin pulp==2.9.0.)
It writes one small JSON file per election to minga/voting/tests/pb_references/<file stem>.json:
the ids of the selected projects, in pabutools' selection order, for each combination of rule,
satisfaction and completion. Each combination runs in its own process under a time limit;
combinations that do not finish in time are recorded under "timed_out" and are not compared.
The .pb files themselves are never copied: the tests read them from ../shared/pabulib.

Satisfaction: approval and choose-1 ballots (and ordinal ballots, read as approval of the ranked
projects) use pabutools' Cost_Sat or Cardinality_Sat; cumulative and scoring ballots use the
ballot's scores (Additive_Cardinal_Sat) whichever satisfaction is asked for, as Minga does.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.pool
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "pabulib"
OUT = ROOT / "minga" / "voting" / "tests" / "pb_references"

# (rule, sat, completion, add1-stop); add1-stop is None where no completion is used.
COMBINATIONS: list[tuple[str, str, str, str | None]] = [
    ("greedy", "cost", "none", None),
    ("greedy", "cardinality", "none", None),
    ("mes", "cost", "none", None),
    ("mes", "cardinality", "none", None),
    ("mes", "cost", "add1", "exhaustive"),
    ("mes", "cardinality", "add1", "exhaustive"),
    ("mes", "cost", "add1u", "exhaustive"),
    ("mes", "cardinality", "add1u", "exhaustive"),
    ("mes", "cost", "add1", "within-budget"),
    ("mes", "cost", "add1u", "within-budget"),
]


def key_of(rule: str, sat: str, completion: str, stop: str | None) -> str:
    return f"{rule}/{sat}/{completion}" + (f"/{stop}" if stop else "")


def _compute(path: str, rule: str, sat: str, completion: str, stop: str | None) -> list[str]:
    from pabutools.election import (
        Additive_Cardinal_Sat,
        Cardinality_Sat,
        Cost_Sat,
        parse_pabulib,
    )
    from pabutools.election.profile import AbstractCardinalProfile
    from pabutools.rules import (
        completion_by_rule_combination,
        exhaustion_by_budget_increase,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    instance, profile = parse_pabulib(path)
    if isinstance(profile, AbstractCardinalProfile):
        sat_class: Any = Additive_Cardinal_Sat
    else:
        sat_class = Cost_Sat if sat == "cost" else Cardinality_Sat
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=sat_class)
        return [p.name for p in outcome]
    if completion == "none":
        outcome = method_of_equal_shares(instance, profile, sat_class=sat_class)
        return [p.name for p in outcome]
    if stop == "exhaustive":
        mes: Any = method_of_equal_shares
        mes_params: dict[str, Any] = {"sat_class": sat_class, "voter_budget_increment": 1}
    else:
        # equalshares.net's Add1: one currency unit more per voter per step (the total budget
        # grows by the number of voters), until the outcome exceeds the real budget.
        mes = exhaustion_by_budget_increase
        mes_params = {
            "rule": method_of_equal_shares,
            "rule_params": {"sat_class": sat_class},
            "exhaustive_stop": False,
            "budget_step": profile.num_ballots(),
        }
    if completion == "add1":
        outcome = mes(instance, profile, **mes_params)
        return [p.name for p in outcome]
    outcome = completion_by_rule_combination(
        instance,
        profile,
        [mes, greedy_utilitarian_welfare],
        [mes_params, {"sat_class": sat_class}],
    )
    return [p.name for p in outcome]


def _worker(queue: Any, path: str, combo: tuple[str, str, str, str | None]) -> None:
    start = time.perf_counter()
    selected = _compute(path, *combo)
    queue.put((selected, time.perf_counter() - start))


def run_one(path: Path, combo: tuple[str, str, str, str | None], timeout_s: float) -> Any:
    queue: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=_worker, args=(queue, str(path), combo))
    process.start()
    process.join(timeout_s)
    if process.is_alive():
        process.terminate()
        process.join()
        return None
    if process.exitcode != 0 or queue.empty():
        return ("error", process.exitcode)
    return queue.get()


def references_for(path: Path, timeout_s: float) -> None:
    from importlib.metadata import version

    out = OUT / f"{path.stem}.json"
    data: dict[str, Any] = {}
    if out.exists():
        data = json.loads(out.read_text(encoding="utf-8"))
    data.setdefault("file", path.name)
    data["pabutools"] = version("pabutools")
    outcomes = data.setdefault("outcomes", {})
    seconds = data.setdefault("seconds", {})
    timed_out = data.setdefault("timed_out", {})
    for combo in COMBINATIONS:
        key = key_of(*combo)
        if key in outcomes:
            continue
        if timed_out.get(key, 0) >= timeout_s:
            continue
        result = run_one(path, combo, timeout_s)
        if result is None:
            timed_out[key] = timeout_s
            print(f"{path.name} {key}: timed out after {timeout_s} s", flush=True)
        elif result[0] == "error":
            print(f"{path.name} {key}: pabutools failed (exit {result[1]})", flush=True)
            continue
        else:
            outcomes[key] = result[0]
            seconds[key] = round(result[1], 3)
            timed_out.pop(key, None)
            print(f"{path.name} {key}: {len(result[0])} projects in {result[1]:.1f} s", flush=True)
        out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    import pabutools.election  # noqa: F401  (fails here, once and clearly, where it is missing)

    files = args.files or sorted(SHARED.glob("*.pb"), key=lambda p: p.stat().st_size)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.jobs <= 1:
        for path in files:
            references_for(path, args.timeout_s)
        return 0
    with multiprocessing.pool.ThreadPool(args.jobs) as pool:
        pool.starmap(references_for, [(path, args.timeout_s) for path in files])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
