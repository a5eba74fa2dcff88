"""The open books by month and category, read from the month totals that the issuance and
expiry runs keep with their rows, checked against the rows themselves."""

import importlib
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from minga.socialincome import models, selectors, services

from .conftest import (
    NOW,
    REGISTRY,
    World,
    identities_hold,
    month_totals_hold,
    record,
    registry_csv,
)

pytestmark = pytest.mark.django_db

JAN, FEB, APR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 4, 1)
# Three more households of one person each: home care then has six beneficiaries a month.
MORE = [(10 + i, f"H{10 + i}", "1985-03-03", "90.00", "no") for i in range(3)]


def from_rows(programme: Any) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(month, category code) -> (issued, beneficiaries, expired), from the rows literally:
    issuances by their month and distinct households, expiries by the month they were
    recorded in, in the platform's time zone."""
    out: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, set(), 0])
    for i in models.Issuance.objects.filter(category__programme=programme).select_related(
        "wallet", "category"
    ):
        cell = out[(i.period_date.strftime("%Y-%m"), i.category.code)]
        cell[0] += i.amount
        cell[1].add(i.wallet.household_id)
    for e in models.Expiry.objects.filter(category__programme=programme).select_related("category"):
        month = timezone.localtime(e.expired_at, timezone.get_default_timezone())
        out[(month.strftime("%Y-%m"), e.category.code)][2] += e.amount
    return {k: (v[0], len(v[1]), v[2]) for k, v in out.items() if v[0] or v[2]}


def books(programme: Any) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (r["month"], r["category"]): (r["issued"], r["beneficiaries"], r["expired"])
        for r in selectors.books_rows(programme=programme)
    }


@pytest.fixture
def six(world: World) -> World:
    services.registry_import(
        actor=world.official,
        programme=world.programme,
        data=registry_csv([*REGISTRY, *MORE]),
        now=NOW,
    )
    return world


def test_the_books_give_what_the_rows_give_month_by_month(six):
    p, official = six.programme, six.official
    for period in (JAN, FEB):
        services.month_issue(actor=official, programme=p, period=period, now=NOW)
    recorded = record(six, code="homecare", hours="3")
    services.service_confirm(actor=six.resident, service=recorded.service, now=NOW)
    april = datetime(2026, 4, 2, 15, 0, tzinfo=UTC)
    services.month_issue(actor=official, programme=p, period=APR, now=april)
    # January's credits expired on 1 April (three months' validity): recorded in April.
    report = services.credits_expire(actor=official, programme=p, as_of=APR, now=april)
    assert report.amount > 0

    rows = from_rows(p)
    shown = books(p)

    # Home care has six beneficiaries: its figures are shown and equal the rows'.
    for month in ("2026-01", "2026-02", "2026-04"):
        issued, beneficiaries, expired = rows[(month, "homecare")]
        assert beneficiaries == 6
        assert shown[(month, "homecare")] == (issued, 6, expired)
    assert shown[("2026-04", "homecare")][2] == rows[("2026-04", "homecare")][2] > 0
    # Fewer than five beneficiaries: every figure withheld.
    assert shown[("2026-01", "eldercare")] == (None, None, None)
    assert selectors.issued_periods(programme=p) == [JAN, FEB, APR]
    assert selectors.updated_at() == april
    identities_hold(six)


def test_a_batch_partly_written_by_another_run_is_counted_again_from_the_rows(six):
    p = six.programme
    services.month_issue(actor=six.official, programme=p, period=JAN, now=NOW)
    homecare = p.categories.get(code="homecare")
    wallets = list(models.Wallet.objects.filter(category=homecare).order_by("pk"))
    rows = [
        (w.pk, homecare.pk, FEB, 100 + n, f"{900 + n:039d}", NOW) for n, w in enumerate(wallets)
    ]

    # Another run records the first two; this one then records all six.
    services._issuance_record(actor="a", programme=p, period=FEB, rows=rows[:2], now=NOW)
    services._issuance_record(actor="b", programme=p, period=FEB, rows=rows, now=NOW)

    total = models.MonthTotal.objects.get(category=homecare, month=FEB)
    assert (total.issued, total.beneficiaries) == (sum(r[3] for r in rows), 6)
    assert books(p)[("2026-02", "homecare")][:2] == (sum(r[3] for r in rows), 6)


def test_the_migration_counts_the_totals_of_rows_written_before_it(six):
    p = six.programme
    for period in (JAN, FEB):
        services.month_issue(actor=six.official, programme=p, period=period, now=NOW)
    before = books(p)
    models.MonthTotal.objects.all().delete()
    assert books(p) == {}
    migration = importlib.import_module("minga.socialincome.migrations.0004_month_totals")

    with transaction.atomic():
        migration.totals_from_rows(apps, None)

    assert books(p) == before


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: SQLite has one writer at a time (the PostgreSQL pass runs it)",
)
@pytest.mark.django_db(transaction=True)
def test_a_batch_counted_again_while_another_adds_its_own_keeps_both(committed_world, monkeypatch):
    """Run C has written its rows and added their sums, and has not committed; run B, whose
    batch meets rows written before, counts the month again. B counts after C commits (it waits
    for the totals row), so C's rows are in the count and none is lost or counted twice."""
    world = committed_world
    p = world.programme
    services.registry_import(
        actor=world.official, programme=p, data=registry_csv([*REGISTRY, *MORE]), now=NOW
    )
    homecare = p.categories.get(code="homecare")
    wallets = list(models.Wallet.objects.filter(category=homecare).order_by("pk"))
    rows = [
        (w.pk, homecare.pk, FEB, 100 + n, f"{900 + n:039d}", NOW) for n, w in enumerate(wallets)
    ]
    services._issuance_record(actor="a", programme=p, period=FEB, rows=rows[:2], now=NOW)
    holding, release = threading.Event(), threading.Event()
    real_audit = services.audit_record

    def audit_then_wait(**kwargs: Any) -> Any:
        if threading.current_thread().name == "run-c":
            holding.set()  # rows written, sums added, the totals row locked
            assert release.wait(10)
        return real_audit(**kwargs)

    monkeypatch.setattr(services, "audit_record", audit_then_wait)
    errors: list[BaseException] = []

    def run(name: str, batch: list[Any]) -> None:
        try:
            services._issuance_record(actor=name, programme=p, period=FEB, rows=batch, now=NOW)
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    c = threading.Thread(target=run, args=("c", rows[2:4]), name="run-c")
    b = threading.Thread(target=run, args=("b", [*rows[:2], *rows[4:]]), name="run-b")
    c.start()
    assert holding.wait(10)
    b.start()
    time.sleep(0.5)  # B reaches the totals row and waits for C's lock
    release.set()
    c.join(20)
    b.join(20)

    assert errors == []
    total = models.MonthTotal.objects.get(category=homecare, month=FEB)
    assert (total.issued, total.beneficiaries) == (sum(r[3] for r in rows), 6)
    month_totals_hold(p)
