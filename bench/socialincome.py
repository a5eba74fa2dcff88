"""Social income benchmark (run by hand: `.venv/bin/python bench/socialincome.py`; not a timed
test).

Monthly issuance for N beneficiary households (default 1,000,000; `--households` to change it),
on SQLite and on PostgreSQL, through minga.socialincome.services.month_issue: eligibility and
bands, one ledger transfer per household with its journal hash, and this app's record of each.
Timed: opening the wallets (one ledger account per household, which the registry import does at
enrolment: services.wallets_open), the first month, its rerun (nothing left to do), and the next
month. Beside it, in the same run and the same database: a raw bulk insert of the same number of
rows (executemany on SQLite, COPY on PostgreSQL) into a scratch table. Target of issue 6:
issuance under 60 s each.

The households are set up with bulk inserts (the registry import is not what is measured).
PostgreSQL is found at $MINGA_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432);
the scratch database minga_bench_socialincome is created and dropped. The server settings that
decide a bulk write's speed are printed with the figures (docs/deploy.md recommends values)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("MINGA_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


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
    # bench/ is first on sys.path when run as a script; bench/http.py would shadow the stdlib.
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


def _programme(households: int) -> Any:
    from django.core.management import call_command

    from minga.socialincome import services
    from minga.socialincome.models import Household, Member
    from minga.territories import services as territories
    from minga.territories.selectors import territory_by_code

    call_command("migrate", verbosity=0, interactive=False)
    territories.territories_import(
        country_code="EC",
        actor="bench",
        now=NOW,
        rows=[("provincia", "10", "IMBABURA", ""), ("canton", "1003", "COTACACHI", "10")],
    )
    programme = services.programme_create(
        actor="bench",
        slug="bench",
        name="Bench",
        territory=territory_by_code(country_code="EC", code="1003"),
        unit="hours",
        start_date=date(2026, 1, 1),
        categories=[services.CategorySpec("hogar", "Hogar", "any_household")],
        bands=[services.BandSpec("1", 0), services.BandSpec("2", 25_000)],
        allotments={(1, "hogar"): 1000, (2, "hogar"): 500},
        now=NOW,
    )
    step = 50_000
    for start in range(0, households, step):
        chunk = range(start, min(start + step, households))
        Household.objects.bulk_create(
            Household(programme=programme, registry_id=f"H{i}", created_at=NOW, updated_at=NOW)
            for i in chunk
        )
    ids = list(
        Household.objects.filter(programme=programme).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), step):
        Member.objects.bulk_create(
            Member(
                programme=programme,
                household_id=h,
                cedula=f"B{h:09d}",
                birth_date=date(1980, 1, 1),
                income_cents=(h % 4) * 10_000,
            )
            for h in ids[start : start + step]
        )
    return programme


def _raw_insert(rows: int) -> float:
    from django.db import connection, transaction

    data = [(i, i * 7 % 1000 + 1, f"{i:039d}") for i in range(rows)]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_raw (id bigint, amount bigint, ref varchar(39))")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy("COPY bench_raw (id, amount, ref) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        else:
            cursor.executemany("INSERT INTO bench_raw (id, amount, ref) VALUES (%s, %s, %s)", data)
    return time.perf_counter() - start


def part(database: str, households: int) -> dict[str, float]:
    _setup_django(database)
    from minga.socialincome import selectors, services

    programme = _programme(households)
    start = time.perf_counter()
    opened = services.wallets_open(programme=programme, now=NOW)
    open_s = time.perf_counter() - start
    assert opened == households, opened
    start = time.perf_counter()
    report = services.month_issue(
        actor="bench", programme=programme, period=date(2026, 12, 1), now=NOW
    )
    issue_s = time.perf_counter() - start
    assert report.written == households, report
    start = time.perf_counter()
    again = services.month_issue(
        actor="bench", programme=programme, period=date(2026, 12, 1), now=NOW
    )
    rerun_s = time.perf_counter() - start
    assert again.written == 0
    # The next month: every wallet is there already, as in every month after the first.
    start = time.perf_counter()
    following = services.month_issue(
        actor="bench", programme=programme, period=date(2027, 1, 1), now=NOW
    )
    next_s = time.perf_counter() - start
    assert following.written == households, following
    [category] = selectors.categories_of(programme=programme)
    assert selectors.identity(category=category).holds
    return {
        "open_s": open_s,
        "issue_s": issue_s,
        "rerun_s": rerun_s,
        "next_s": next_s,
        "raw_s": _raw_insert(households),
    }


# The server settings that decide how fast a bulk write goes (docs/deploy.md, "PostgreSQL").
PG_SETTINGS = (
    "shared_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "wal_compression",
    "synchronous_commit",
)


def _pg_settings() -> str:
    out = subprocess.run(
        [
            "psql",
            _url("postgres"),
            "-Atc",
            "SELECT name || '=' || current_setting(name) FROM pg_settings WHERE name IN ("  # noqa: S608 - fixed names
            + ", ".join(f"'{n}'" for n in PG_SETTINGS)
            + ") ORDER BY name",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return ", ".join(out.stdout.split())


def _run_part(database: str, households: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--part",
            "--database",
            database,
            "--households",
            str(households),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", action="store_true")
    parser.add_argument("--database")
    parser.add_argument("--households", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.part:
        print(json.dumps(part(args.database, args.households)))
        return 0
    # Other work on the machine slows every figure: the load is printed with them.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = _run_part(str(Path(tmp) / "bench.sqlite3"), args.households)
    _psql("DROP DATABASE IF EXISTS minga_bench_socialincome")
    _psql("CREATE DATABASE minga_bench_socialincome")
    try:
        pg = _run_part(_url("minga_bench_socialincome"), args.households)
    finally:
        _psql("DROP DATABASE IF EXISTS minga_bench_socialincome")
    print(f"monthly issuance for {args.households:,} households (target: under 60 s each)")
    print(f"load average (1 min) before the run {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"PostgreSQL server: {_pg_settings()}")
    print("wallets: one ledger account per household, opened at enrolment (wallets_open)")
    print(
        f"{'database':<12} {'wallets':>8} {'first month':>12} {'rerun':>8} {'next month':>11} "
        f"{'raw insert':>11} {'first/raw':>10}"
    )
    for name, r in (("SQLite", sqlite), ("PostgreSQL", pg)):
        print(
            f"{name:<12} {r['open_s']:>7.1f}s {r['issue_s']:>11.1f}s {r['rerun_s']:>7.1f}s "
            f"{r['next_s']:>10.1f}s {r['raw_s']:>10.2f}s {r['issue_s'] / r['raw_s']:>9.0f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
