"""Benchmark of the PB library against pabutools, in the same run (`make bench`).

For each of the largest shared approval elections: parse time, then greedy, MES (cost) and MES
(cost) + add1u with --add1-stop exhaustive (the variant pabutools computes), for Minga and for
pabutools, with the ratio and whether the outcomes are identical. pabutools runs in its own
environment (default /tmp/pabuvenv/bin/python, or $PABUTOOLS_PYTHON) through a subprocess with a
time limit ($PABUTOOLS_TIMEOUT_S, default 600 s); where it is missing, a note says so and only
Minga's figures are printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minga.voting.pabulib import parse_file  # noqa: E402
from minga.voting.pb import Options, tally  # noqa: E402

SHARED = ROOT.parent / "shared" / "pabulib"
FILES = [
    "Poland_Warszawa_2026.pb",
    "Hungary_Budapest_2024.pb",
    "Netherlands_Amsterdam_309.pb",
    "Poland_Warszawa_2023_Praga-Polnoc.pb",
]
RULES = {
    "greedy": ("greedy", Options(sat="cost")),
    "mes": ("mes", Options(sat="cost")),
    "mes+add1u": ("mes", Options(sat="cost", completion="add1u", add1_stop="exhaustive")),
}
PABUTOOLS = """
import json, sys, time
from pabutools.election import parse_pabulib, Cost_Sat
from pabutools.rules import (
    greedy_utilitarian_welfare, method_of_equal_shares, completion_by_rule_combination)
path, rule = sys.argv[1], sys.argv[2]
t = time.perf_counter(); instance, profile = parse_pabulib(path); parse_s = time.perf_counter() - t
t = time.perf_counter()
if rule == "parse":
    out = []
elif rule == "greedy":
    out = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
elif rule == "mes":
    out = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
else:
    mes = {"sat_class": Cost_Sat, "voter_budget_increment": 1}
    out = completion_by_rule_combination(instance, profile,
        [method_of_equal_shares, greedy_utilitarian_welfare], [mes, {"sat_class": Cost_Sat}])
rule_s = time.perf_counter() - t
print(json.dumps({"parse_s": parse_s, "rule_s": rule_s, "selected": [p.name for p in out]}))
"""


def pabutools(python: str, path: Path, rule: str, timeout_s: float) -> dict[str, object] | None:
    try:
        done = subprocess.run(
            [python, "-c", PABUTOOLS, str(path), rule],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> int:
    python = os.environ.get("PABUTOOLS_PYTHON", "/tmp/pabuvenv/bin/python")  # noqa: S108  (a path named in docs)
    timeout_s = float(os.environ.get("PABUTOOLS_TIMEOUT_S", "600"))
    has_pabutools = Path(python).exists()
    if not has_pabutools:
        print(f"NOTE: pabutools not found at {python}: only Minga's figures are printed.")
    print(f"{'election':38} {'step':10} {'minga s':>9} {'pabutools s':>12} {'ratio':>8} same")
    for name in FILES:
        path = SHARED / name
        start = time.perf_counter()
        instance, profile = parse_file(path)
        minga_parse = time.perf_counter() - start
        peer = pabutools(python, path, "parse", timeout_s) if has_pabutools else None
        row(name, "parse", minga_parse, None if peer is None else float(str(peer["parse_s"])), None)
        for label, (rule, options) in RULES.items():
            start = time.perf_counter()
            outcome = tally(instance, profile, rule, options)  # type: ignore[arg-type]  # literal
            minga_s = time.perf_counter() - start
            peer = pabutools(python, path, label, timeout_s) if has_pabutools else None
            same = None if peer is None else list(outcome.selected) == peer["selected"]
            row(name, label, minga_s, None if peer is None else float(str(peer["rule_s"])), same)
    return 0


def row(name: str, step: str, minga_s: float, peer_s: float | None, same: bool | None) -> None:
    peer = "timeout/absent" if peer_s is None else f"{peer_s:.3f}"
    ratio = "" if peer_s is None else f"{peer_s / minga_s:.1f}x"
    mark = "" if same is None else ("yes" if same else "NO")
    print(f"{name[:38]:38} {step:10} {minga_s:9.3f} {peer:>12} {ratio:>8} {mark}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
