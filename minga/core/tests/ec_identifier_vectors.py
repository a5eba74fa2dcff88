"""Generates ec_identifier_vectors.json, the test vectors of Ecuador's cédula and RUC, with
python-stdnum as an independent oracle. Not a dependency of Minga: run it by hand from a
separate virtual environment, and commit the JSON it writes.

    python3 -m venv /tmp/stdnum-venv && /tmp/stdnum-venv/bin/pip install python-stdnum==2.2
    /tmp/stdnum-venv/bin/python minga/core/tests/ec_identifier_vectors.py

Valid numbers are found without Minga's code: a random prefix is completed with each of the ten
possible check digits and kept when stdnum accepts it. Random and mutated numbers give the
refused side. Each vector records stdnum's verdict; test_identifiers.py compares Minga's."""

import json
import random
from collections.abc import Callable
from pathlib import Path

from stdnum.ec import ci, ruc  # oracle only: not installed in Minga's environment

OUT = Path(__file__).with_name("data") / "ec_identifier_vectors.json"
PROVINCES = [f"{n:02d}" for n in range(1, 25)] + ["30"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _complete(
    prefix: str, suffix: str, is_valid: Callable[[str], bool], rng: random.Random
) -> str | None:
    for d in rng.sample("0123456789", 10):
        if is_valid(prefix + d + suffix):
            return prefix + d + suffix
    return None


def main() -> None:
    rng = random.Random(20261130)
    vectors: list[dict[str, object]] = []

    def add(kind: str, value: str) -> None:
        valid = (ci if kind == "cedula" else ruc).is_valid(value)
        vectors.append({"kind": kind, "value": value, "stdnum_valid": bool(valid)})

    seen: set[str] = set()
    while len(seen) < 150:  # valid cédulas
        v = _complete(
            rng.choice(PROVINCES) + rng.choice("012345") + _digits(rng, 6), "", ci.is_valid, rng
        )
        if v:
            seen.add(v)
    for v in sorted(seen):
        add("cedula", v)
        i = rng.randrange(10)
        add("cedula", v[:i] + str((int(v[i]) + rng.randrange(1, 10)) % 10) + v[i + 1 :])
    for _ in range(150):
        add("cedula", _digits(rng, 10))
    for third, suffix_len, check_at in (("9", 3, 9), ("6", 4, 8), ("0", 3, 9)):
        found: set[str] = set()
        while len(found) < 80:
            prefix = rng.choice(PROVINCES) + (third if third != "0" else rng.choice("012345"))
            prefix += _digits(rng, check_at - 3)
            suffix = "0" * (suffix_len - 1) + str(rng.randrange(1, 10))
            v = _complete(prefix, suffix, ruc.is_valid, rng)
            if v:
                found.add(v)
        for v in sorted(found):
            add("ruc", v)
            i = rng.randrange(13)
            add("ruc", v[:i] + str((int(v[i]) + rng.randrange(1, 10)) % 10) + v[i + 1 :])
    for _ in range(300):
        add("ruc", rng.choice(PROVINCES) + _digits(rng, 11))
    OUT.write_text(json.dumps(vectors, indent=0) + "\n", encoding="utf-8")
    print(f"{len(vectors)} vectors written to {OUT}")


if __name__ == "__main__":
    main()
