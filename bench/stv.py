"""STV benchmark (issue 5), run by hand: `.venv/bin/python bench/stv.py`; not a timed test.

Target: reading a BLT file of 100,000 ballots for 30 candidates and 7 seats and counting it by
the Scottish STV rules, together, in under 1 second.

The file is generated here, deterministically from a seed, into a temporary folder (never into
the repository): ballots of varied lengths (most rank a few candidates, some rank all 30), drawn
from a Plackett-Luce model with a skewed popularity and loyalty to one of six lists, so that the
count has surpluses and exclusions both. Minga reads and counts it `--runs` times; the best and
the median are printed, wall-clock and CPU time (on a loaded machine, the wall-clock time also
holds the waits for a CPU).

The peer, measured on the same file in the same run, is pref_voting's `stv_scottish` (an
independent implementation of the same rules). It must not be installed into Minga's own
environment, so it runs in a separate virtual environment, by default .bench/pref_voting (the
one `make bench-peers` makes; `make bench` uses it):

    make bench-peers

(another one can be named with $MINGA_BENCH_PREF_VOTING_PYTHON). Without it the benchmark says
so and prints Minga's figures alone. Both must elect the same candidates.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minga.voting.blt import read_blt  # noqa: E402  (the repository root is put on the path above)
from minga.voting.stv import StvResult, count  # noqa: E402

CANDIDATES = 30
SEATS = 7
BALLOTS = 100_000
LISTS = 6
TARGET_S = 1.0
# The environment `make bench-peers` makes (.bench/ is ignored by git).
PEER_DEFAULT = ROOT / ".bench" / "pref_voting" / "bin" / "python"
PEER_PYTHON = Path(os.environ.get("MINGA_BENCH_PREF_VOTING_PYTHON", PEER_DEFAULT))
PEER_VERSION = "1.18.2"

# Run by the peer's interpreter: read the BLT file with a plain reader of its own (pref_voting
# has none), identical rankings grouped as ProfileWithTies expects them, then count.
PEER_SCRIPT = """
import json, random, sys, time
from importlib.metadata import version
start = time.perf_counter()
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.proportional_methods import stv_scottish
imported = time.perf_counter()
with open(sys.argv[1], encoding="utf-8") as blt:
    lines = [line.split() for line in blt if line.strip()]
n, seats = map(int, lines[0])
groups = {}
for numbers in lines[1:]:
    if numbers == ["0"]:
        break
    ranking = tuple(map(int, numbers[1:-1]))
    groups[ranking] = groups.get(ranking, 0) + int(numbers[0])
rankings = [{c: rank for rank, c in enumerate(r, start=1)} for r in groups]
profile = ProfileWithTies(rankings, rcounts=list(groups.values()), candidates=list(range(1, n + 1)))
read = time.perf_counter()
elected = stv_scottish(profile, num_seats=seats, rng=random.Random(0))
counted = time.perf_counter()
print(json.dumps({"version": version("pref_voting"), "read_s": read - imported,
                  "count_s": counted - read, "elected": sorted(int(c) for c in elected)}))
"""


def generate_blt(path: Path, *, seed: int, ballots: int = BALLOTS) -> None:
    """Write the benchmark's election to `path`, the same for the same seed."""
    rng = random.Random(seed)
    popularity = [1.0 / (rank + 1) ** 0.9 for rank in range(CANDIDATES)]
    rng.shuffle(popularity)
    list_of = [c % LISTS for c in range(CANDIDATES)]
    list_support = [rng.random() + 0.3 for _ in range(LISTS)]
    # Most voters rank a few candidates; the number ranked falls off geometrically up to 30.
    lengths = rng.choices(range(1, CANDIDATES + 1), [0.85**k for k in range(CANDIDATES)], k=ballots)
    loyalties = rng.choices(range(LISTS), list_support, k=ballots)
    lines = [f"{CANDIDATES} {SEATS}"]
    for length, loyal in zip(lengths, loyalties, strict=True):
        # Plackett-Luce by sorting on u ** (1 / weight) (Efraimidis-Spirakis): a voter ranks
        # their own list's candidates six times as readily.
        keys = sorted(
            (
                (rng.random() ** (1.0 / (popularity[c] * (6.0 if list_of[c] == loyal else 1.0))), c)
                for c in range(CANDIDATES)
            ),
            reverse=True,
        )
        lines.append(" ".join(["1", *(str(c + 1) for _, c in keys[:length]), "0"]))
    lines.append("0")
    lines.extend(f'"Candidata {c}"' for c in range(1, CANDIDATES + 1))
    lines.append('"Benchmark: 100,000 ballots, 30 candidates, 7 seats"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Run:
    read_s: float
    count_s: float
    read_cpu_s: float
    count_cpu_s: float

    @property
    def total_s(self) -> float:
        return self.read_s + self.count_s

    @property
    def total_cpu_s(self) -> float:
        return self.read_cpu_s + self.count_cpu_s


def time_minga(path: Path) -> tuple[Run, StvResult]:
    gc.collect()  # no run pays for the garbage of the one before
    wall, cpu = time.perf_counter(), time.process_time()
    election = read_blt(path)
    read_wall, read_cpu = time.perf_counter(), time.process_time()
    result = count(election, seed=0)
    count_wall, count_cpu = time.perf_counter(), time.process_time()
    run = Run(read_wall - wall, count_wall - read_wall, read_cpu - cpu, count_cpu - read_cpu)
    return run, result


def time_peer(path: Path) -> dict[str, object] | None:
    if not PEER_PYTHON.exists():
        print(
            f"NOTE: the peer is not measured: {PEER_PYTHON} is missing. Create it with\n"
            f"  make bench-peers  (pref-voting=={PEER_VERSION} in .bench/pref_voting)\n"
            "or name another interpreter with $MINGA_BENCH_PREF_VOTING_PYTHON."
        )
        return None
    completed = subprocess.run(
        [str(PEER_PYTHON), "-c", PEER_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        print(f"NOTE: the peer failed ({PEER_PYTHON}):\n{completed.stderr.strip()}")
        return None
    peer: dict[str, object] = json.loads(completed.stdout)
    return peer


def machine() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; load average {load}"
    )


def _seconds(value: float) -> str:
    return f"{value:8.3f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="Minga's runs (default 7)")
    parser.add_argument("--seed", type=int, default=2026, help="the generator's seed")
    arguments = parser.parse_args(argv)
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")

    print(f"STV benchmark, {datetime.date.today().isoformat()}; {machine()}")
    with tempfile.TemporaryDirectory(prefix="minga-bench-stv-") as folder:
        path = Path(folder) / "election.blt"
        generate_blt(path, seed=arguments.seed)
        size_mb = path.stat().st_size / 1e6
        print(f"{BALLOTS:,} ballots, {CANDIDATES} candidates, {SEATS} seats, {size_mb:.1f} MB")
        runs: list[Run] = []
        result: StvResult | None = None
        for _ in range(arguments.runs):
            run, result = time_minga(path)
            runs.append(run)
        assert result is not None
        peer = time_peer(path)
        load_after = ", ".join(f"{value:.2f}" for value in os.getloadavg())

    actions = [stage.action for stage in result.stages]
    surpluses, exclusions = actions.count("surplus"), actions.count("exclusion")
    print(
        f"count: {len(result.stages)} stages, {surpluses} surpluses, {exclusions} exclusions; "
        f"elected {list(result.elected)}"
    )
    best = min(runs, key=lambda run: run.total_s)
    print(f"\nMinga, {len(runs)} runs (seconds)     best wall   median wall   best CPU")
    for label, attribute in (("reading", "read"), ("counting", "count"), ("total", "total")):
        walls = [getattr(run, f"{attribute}_s") for run in runs]
        cpus = [getattr(run, f"{attribute}_cpu_s") for run in runs]
        print(
            f"  {label:<26}{_seconds(min(walls))}      {_seconds(statistics.median(walls))}"
            f"   {_seconds(min(cpus))}"
        )
    status = 0
    if peer is not None:
        peer_read, peer_count = float(str(peer["read_s"])), float(str(peer["count_s"]))
        peer_total = peer_read + peer_count
        print(
            f"  peer total, pref_voting {peer['version']} stv_scottish, one run: "
            f"{peer_total:.3f} (reading {peer_read:.3f}, counting {peer_count:.3f})"
        )
        print(f"  ratio peer / Minga (best total): {peer_total / best.total_s:.1f}")
        same = peer["elected"] == sorted(result.elected)
        print(f"  same candidates elected: {'yes' if same else 'NO: ' + str(peer['elected'])}")
        if not same:
            status = 1
    # The target is wall-clock time. On a machine shared with other work, a run also waits for
    # a CPU, so the CPU time (what the code itself costs) is printed beside it, with the load.
    met = best.total_s < TARGET_S
    print(
        f"  target: read + count under {TARGET_S:.0f} s: "
        f"{'met' if met else 'NOT met'} in wall-clock time ({best.total_s:.3f} s best); "
        f"CPU time {best.total_cpu_s:.3f} s"
        + ("" if met or best.total_cpu_s >= TARGET_S else ", so the wait was for a CPU")
    )
    print(f"load average after the runs: {load_after}")
    if not (surpluses and exclusions):
        print("the generated election must have surpluses and exclusions both")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
