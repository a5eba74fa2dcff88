"""Ledger benchmark (run by hand: `.venv/bin/python bench/ledger.py`; not a timed test).

Prints, in one run on one machine and against one PostgreSQL server:
- transfers/s for batches of 8,190 random transfers among 10,000 accounts, on SQLite and on
  PostgreSQL (through minga.ledger.services.transfers_create: validation, locks, journal hashes,
  balances, audit event; everything a client's batch costs);
- transfers/s when 8 concurrent clients (processes) each send one transfer per request;
- pgbench's TPC-B tps on the same server (`pgbench -i` into a scratch database, then
  `pgbench -T 10 -c 8`), and the ratios against the targets of issue 3.

PostgreSQL is found at $MINGA_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432);
scratch databases minga_bench_ledger and minga_bench_pgbench are created and dropped."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("MINGA_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
ACCOUNTS = 10_000
BATCH = 8_190
BATCHES = 6
CLIENTS = 8
CLIENT_SECONDS = 10.0


def _url(dbname: str) -> str:
    parts = urlsplit(SERVER)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, "", ""))


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", _url("postgres"), "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def _setup_django(database: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minga.settings.test")
    # Run as a script, bench/ is first on sys.path, where bench/http.py would shadow the
    # standard library's http package that Django imports.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(ROOT))
    import dj_database_url
    from django.conf import settings

    db: dict[str, Any]
    if database.startswith("postgres"):
        db = dict(dj_database_url.parse(database, conn_max_age=0))
    else:
        from minga.settings.base import sqlite_database

        db = sqlite_database(Path(database))
    settings.DATABASES["default"] = db
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _create_accounts() -> None:
    from datetime import UTC, datetime

    from minga.ledger.domain import AccountEvent
    from minga.ledger.services import accounts_create

    now = datetime.now(UTC)
    events = [AccountEvent(id=i, ledger=1, code=1) for i in range(1, ACCOUNTS + 1)]
    for start in range(0, ACCOUNTS, BATCH):
        results = accounts_create(events=events[start : start + BATCH], now=now)
        assert all(r in ("ok", "exists") for r in results), results[:5]


def _random_batch(rng: random.Random, next_id: int) -> list[Any]:
    from minga.ledger.domain import TransferEvent

    batch = []
    for k in range(BATCH):
        debit = rng.randint(1, ACCOUNTS)
        credit = rng.randint(1, ACCOUNTS - 1)
        if credit >= debit:
            credit += 1
        batch.append(
            TransferEvent(
                id=next_id + k,
                debit_account_id=debit,
                credit_account_id=credit,
                amount=rng.randint(1, 10_000),
                ledger=1,
                code=1,
            )
        )
    return batch


def part_batched(database: str) -> dict[str, float]:
    """Batches of 8,190 random transfers among 10,000 accounts."""
    _setup_django(database)
    _migrate()
    _create_accounts()
    from datetime import UTC, datetime

    from minga.ledger.selectors import ledger_verify
    from minga.ledger.services import transfers_create

    rng = random.Random(42)
    batches = [_random_batch(rng, 1 + b * BATCH) for b in range(BATCHES)]
    # One warm-up batch (connections, caches, the planner) is not counted.
    assert set(transfers_create(events=batches[0], now=datetime.now(UTC))) == {"ok"}
    started = time.perf_counter()
    for batch in batches[1:]:
        assert set(transfers_create(events=batch, now=datetime.now(UTC))) == {"ok"}
    elapsed = time.perf_counter() - started
    report = ledger_verify()
    assert report.ok, report.problem
    return {"transfers_per_s": (BATCHES - 1) * BATCH / elapsed, "verified": report.entries}


def part_client(database: str, client: int, seconds: float) -> dict[str, float]:
    """One client: says READY once connected, waits for GO, then sends one transfer per request
    for `seconds`."""
    _setup_django(database)
    from datetime import UTC, datetime

    from django.db import connection

    from minga.ledger.domain import TransferEvent
    from minga.ledger.services import transfers_create

    connection.ensure_connection()
    rng = random.Random(client)
    next_id = 10**12 * (client + 1)
    print("READY", flush=True)
    assert sys.stdin.readline().strip() == "GO"
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        debit = rng.randint(1, ACCOUNTS)
        credit = rng.randint(1, ACCOUNTS - 1)
        if credit >= debit:
            credit += 1
        event = TransferEvent(
            id=next_id + done,
            debit_account_id=debit,
            credit_account_id=credit,
            amount=rng.randint(1, 100),
            ledger=1,
            code=1,
        )
        assert transfers_create(events=[event], now=datetime.now(UTC)) == ["ok"]
        done += 1
    return {"transfers": done}


def _run_part(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def concurrent_clients(database: str) -> float:
    """8 client processes, started together once all are connected (a barrier)."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--part",
                "client",
                "--database",
                database,
                "--client",
                str(c),
                "--seconds",
                str(CLIENT_SECONDS),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for c in range(CLIENTS)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "READY"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("GO\n")
        p.stdin.flush()
    total = 0
    for p in procs:
        stdout, _ = p.communicate()
        assert p.returncode == 0, f"client exited with {p.returncode}"
        total += json.loads(stdout.strip().splitlines()[-1])["transfers"]
    return total / CLIENT_SECONDS


def pgbench_tps() -> float:
    _psql("DROP DATABASE IF EXISTS minga_bench_pgbench")
    _psql("CREATE DATABASE minga_bench_pgbench")
    try:
        subprocess.run(
            ["pgbench", "-i", "-q", _url("minga_bench_pgbench")], check=True, capture_output=True
        )
        out = subprocess.run(
            ["pgbench", "-T", "10", "-c", "8", "-j", "2", _url("minga_bench_pgbench")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        _psql("DROP DATABASE IF EXISTS minga_bench_pgbench")
    match = re.search(r"tps = ([0-9.]+)", out)
    assert match, out
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=["batched", "client"])
    parser.add_argument("--database")
    parser.add_argument("--client", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=CLIENT_SECONDS)
    args = parser.parse_args()
    if args.part == "batched":
        print(json.dumps(part_batched(args.database)))
        return 0
    if args.part == "client":
        print(json.dumps(part_client(args.database, args.client, args.seconds)))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        sqlite = _run_part(["--part", "batched", "--database", str(Path(tmp) / "bench.sqlite3")])
    pg_url = _url("minga_bench_ledger")
    _psql("DROP DATABASE IF EXISTS minga_bench_ledger")
    _psql("CREATE DATABASE minga_bench_ledger")
    try:
        pg = _run_part(["--part", "batched", "--database", pg_url])
        single = concurrent_clients(pg_url)
    finally:
        _psql("DROP DATABASE IF EXISTS minga_bench_ledger")
    tps = pgbench_tps()
    rows = [
        (
            "batched 8,190, SQLite",
            sqlite["transfers_per_s"],
            "20,000 transfers/s",
            sqlite["transfers_per_s"] / 20_000,
        ),
        (
            "batched 8,190, PostgreSQL",
            pg["transfers_per_s"],
            f"10 x pgbench = {10 * tps:,.0f}",
            pg["transfers_per_s"] / (10 * tps),
        ),
        (
            f"{CLIENTS} clients x 1 transfer, PostgreSQL",
            single,
            f"pgbench / 2 = {tps / 2:,.0f}",
            single / (tps / 2),
        ),
    ]
    print(f"pgbench TPC-B (-c 8, 10 s, scale 1): {tps:,.0f} tps")
    print(f"{'measure':<38} {'transfers/s':>12}  {'target':<26} {'ratio to target':>15}")
    for name, value, target, ratio in rows:
        print(f"{name:<38} {value:>12,.0f}  {target:<26} {ratio:>14.2f}x")
    print(f"ratio batched PostgreSQL / pgbench tps: {pg['transfers_per_s'] / tps:.1f}")
    print(f"ratio single-transfer clients / pgbench tps: {single / tps:.2f}")
    return 0 if all(r[3] >= 1 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
