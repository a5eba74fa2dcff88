"""Generate random elections, count them with pref_voting's stv_scottish (an independent
implementation), keep those whose result does not depend on the reference's random lot.

Run by hand, in a separate virtual environment (never Minga's own), to regenerate this folder:

    python3 -m venv /tmp/stvref && /tmp/stvref/bin/pip install pref-voting==1.18.2
    /tmp/stvref/bin/python generate.py minga/voting/tests/stv_cases/crosscheck
"""

import json
import random
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.proportional_methods import stv_scottish

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = random.Random(20260501)
expected: dict[str, Any] = {
    "reference": f"pref_voting=={version('pref_voting')} stv_scottish",
    "cases": {},
}
kept = 0
attempt = 0
while kept < 40:
    attempt += 1
    n = rng.randint(3, 8)
    seats = rng.randint(1, min(4, n - 1))
    groups: dict[tuple[int, ...], int] = {}
    popularity = [rng.random() ** 2 for _ in range(n)]
    for _ in range(rng.randint(5, 25)):
        order = sorted(range(1, n + 1), key=lambda c: -popularity[c - 1] * rng.random())
        prefs = tuple(order[: rng.randint(1, n)])
        groups[prefs] = groups.get(prefs, 0) + rng.randint(1, 40)
    rankings, counts = [], []
    for prefs, w in groups.items():
        rankings.append({c: i + 1 for i, c in enumerate(prefs)})
        counts.append(w)
    prof = ProfileWithTies(rankings, rcounts=counts, candidates=list(range(1, n + 1)))
    results = {tuple(stv_scottish(prof, num_seats=seats, rng=random.Random(s))) for s in range(4)}
    if len(results) != 1:
        continue
    name = f"{kept:02d}.blt"
    lines = [f"{n} {seats}"] + [" ".join(map(str, (w, *p, 0))) for p, w in groups.items()] + ["0"]
    lines += [f'"C{c}"' for c in range(1, n + 1)] + [f'"Random election {kept}"']
    (out / name).write_text("\n".join(lines) + "\n")
    expected["cases"][name] = sorted(results.pop())
    kept += 1
(out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
print("attempts", attempt)
