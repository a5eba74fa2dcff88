"""Benchmark of the PB library against pabutools, in the same run (`make bench`).

Part 1, on the largest shared approval elections (Warszawa 2026, Budapest 2024, Amsterdam 309,
Warszawa 2023 Praga-Polnoc): parse time, then greedy, MES (cost) and MES (cost) + add1u with
--add1-stop exhaustive (the variant pabutools computes), for Minga and for pabutools, with the
ratio and whether the outcomes are identical. Part 2: MES (cost) + add1u exhaustive on every file
of ../shared/pabulib.

Each measurement runs in its own process under a time limit, Minga's and pabutools' alike, and
times the rule only (the file is parsed first, outside the timing). pabutools runs in its own
environment (default .bench/pabutools/bin/python, which `make bench-peers` makes, or
$PABUTOOLS_PYTHON); where it is missing, a note says so and only Minga's figures are printed.
$PB_BENCH_TIMEOUT_S (default 120) is the limit for each measurement: a run that does not finish
is printed as "> limit", and a ratio against it is a lower bound (">"). Where pabutools did not
finish, "same" compares with the stored reference (minga/voting/tests/pb_references) when there
is one, and says so. $PB_BENCH_PART=1 or 2 runs one part only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "pabulib"
REFERENCES = ROOT / "minga" / "voting" / "tests" / "pb_references"
LARGEST = [
    "Poland_Warszawa_2026.pb",
    "Hungary_Budapest_2024.pb",
    "Netherlands_Amsterdam_309.pb",
    "Poland_Warszawa_2023_Praga-Polnoc.pb",
]
STEPS = ("parse", "greedy", "mes", "mes+add1u")
REFERENCE_KEYS = {
    "greedy": "greedy/cost/none",
    "mes": "mes/cost/none",
    "mes+add1u": "mes/cost/add1u/exhaustive",
}

MINGA = """
import json, sys, time
sys.path.insert(0, sys.argv[3])
from minga.voting.pabulib import parse_file
from minga.voting.pb import Options, tally
path, step = sys.argv[1], sys.argv[2]
t = time.perf_counter(); instance, profile = parse_file(path); parse_s = time.perf_counter() - t
options = {
    "parse": None,
    "greedy": ("greedy", Options(sat="cost")),
    "mes": ("mes", Options(sat="cost")),
    "mes+add1u": ("mes", Options(sat="cost", completion="add1u", add1_stop="exhaustive")),
}[step]
t = time.perf_counter()
selected = [] if options is None else list(tally(instance, profile, *options).selected)
rule_s = time.perf_counter() - t
print(json.dumps({"parse_s": parse_s, "rule_s": rule_s, "selected": selected}))
"""

PABUTOOLS = """
import json, sys, time
from pabutools.election import parse_pabulib, Additive_Cardinal_Sat, Cost_Sat
from pabutools.election.profile import AbstractCardinalProfile
from pabutools.rules import (
    greedy_utilitarian_welfare, method_of_equal_shares, completion_by_rule_combination)
path, step = sys.argv[1], sys.argv[2]
t = time.perf_counter(); instance, profile = parse_pabulib(path); parse_s = time.perf_counter() - t
# Cumulative and scoring ballots: the scores are the satisfaction, in Minga as in pabutools.
sat = Additive_Cardinal_Sat if isinstance(profile, AbstractCardinalProfile) else Cost_Sat
t = time.perf_counter()
if step == "parse":
    out = []
elif step == "greedy":
    out = greedy_utilitarian_welfare(instance, profile, sat_class=sat)
elif step == "mes":
    out = method_of_equal_shares(instance, profile, sat_class=sat)
else:
    mes = {"sat_class": sat, "voter_budget_increment": 1}
    out = completion_by_rule_combination(instance, profile,
        [method_of_equal_shares, greedy_utilitarian_welfare], [mes, {"sat_class": sat}])
rule_s = time.perf_counter() - t
print(json.dumps({"parse_s": parse_s, "rule_s": rule_s, "selected": [p.name for p in out]}))
"""


def measure(
    python: str, script: str, path: Path, step: str, timeout_s: float
) -> dict[str, object] | None:
    """The peer's figures for one step, or None if it did not finish within the limit."""
    try:
        done = subprocess.run(
            [python, "-c", script, str(path), step, str(ROOT)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, object] = json.loads(done.stdout)
    return result


def seconds(result: dict[str, object] | None, step: str, timeout_s: float) -> str:
    if result is None:
        return f"> {timeout_s:.0f}"
    return f"{float(str(result['parse_s' if step == 'parse' else 'rule_s'])):.3f}"


def ratio(minga: dict[str, object] | None, peer: dict[str, object] | None, step: str) -> str:
    if minga is None:
        return "?"
    key = "parse_s" if step == "parse" else "rule_s"
    ours = max(float(str(minga[key])), 1e-6)
    if peer is None:
        return f">{TIMEOUT_S / ours:.0f}x"
    return f"{float(str(peer[key])) / ours:.1f}x"


def same(
    name: str, step: str, minga: dict[str, object] | None, peer: dict[str, object] | None
) -> str:
    if step == "parse" or minga is None:
        return ""
    if peer is not None:
        return "yes" if minga["selected"] == peer["selected"] else "NO"
    stored = REFERENCES / name.replace(".pb", ".json")
    if stored.exists():
        outcomes = json.loads(stored.read_text(encoding="utf-8"))["outcomes"]
        expected = outcomes.get(REFERENCE_KEYS[step])
        if expected is not None:
            return "yes (stored)" if minga["selected"] == expected else "NO (stored)"
    return "?"


TIMEOUT_S = float(os.environ.get("PB_BENCH_TIMEOUT_S", "120"))


def main() -> int:
    peer_python = os.environ.get(
        "PABUTOOLS_PYTHON", str(ROOT / ".bench" / "pabutools" / "bin" / "python")
    )
    has_peer = Path(peer_python).exists()
    part = os.environ.get("PB_BENCH_PART", "")
    if not has_peer:
        print(
            f"NOTE: pabutools not found at {peer_python} (`make bench-peers` makes it): only "
            "Minga's figures are printed."
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; limit {TIMEOUT_S:.0f} s")
    header = f"{'election':40} {'step':10} {'minga s':>9} {'pabutools s':>12} {'ratio':>8} same"
    if part in ("", "1"):
        print("\nPart 1: the largest approval elections, cost satisfaction")
        print(header)
        for name in LARGEST:
            for step in STEPS:
                row(peer_python if has_peer else None, name, step)
    if part in ("", "2"):
        print("\nPart 2: MES (cost) + add1u, --add1-stop exhaustive, every shared election")
        print(header)
        for path in sorted(SHARED.glob("*.pb")):
            row(peer_python if has_peer else None, path.name, "mes+add1u")
    return 0


def row(peer_python: str | None, name: str, step: str) -> None:
    path = SHARED / name
    minga = measure(sys.executable, MINGA, path, step, TIMEOUT_S)
    peer = None if peer_python is None else measure(peer_python, PABUTOOLS, path, step, TIMEOUT_S)
    peer_text = "absent" if peer_python is None else seconds(peer, step, TIMEOUT_S)
    shown = ratio(minga, peer, step) if peer_python is not None else ""
    print(
        f"{name[:-3][:40]:40} {step:10} {seconds(minga, step, TIMEOUT_S):>9} {peer_text:>12} "
        f"{shown:>8} {same(name, step, minga, peer)}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
