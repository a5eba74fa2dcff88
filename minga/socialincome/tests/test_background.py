"""A month's issuance outside any transaction, as the `issue` command runs it: on PostgreSQL
each batch's record (and each batch of wallet rows) is written on a second connection while the
ledger works on the next batch (minga.core.runtime.BackgroundWrites); on SQLite in turn."""

import threading
from datetime import date
from typing import Any

import pytest
from django.db import connection

from minga.ledger import selectors as ledger
from minga.ledger import services as ledger_services
from minga.socialincome import models, services

from .conftest import NOW, World, build_world, identities_hold

JAN = date(2026, 1, 1)
BACKGROUND = connection.vendor == "postgresql"


def issue(world: World) -> services.RunReport:
    return services.month_issue(
        actor=world.official, programme=world.programme, period=JAN, now=NOW, chunk_size=2
    )


def record_threads(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """The thread that wrote each batch of `name` (a function of services)."""
    real, seen = getattr(services, name), []

    def spy(*args: Any, **kwargs: Any) -> None:
        seen.append(threading.current_thread().name)
        real(*args, **kwargs)

    monkeypatch.setattr(services, name, spy)
    return seen


@pytest.fixture
def world_without_wallets(transactional_db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    """The committed world as a programme enrolled before the import opened wallets (or whose
    wallet opening crashed): the issuance opens them."""
    with monkeypatch.context() as patch:
        patch.setattr(services, "wallets_open", lambda **_kwargs: 0)
        world = build_world()
    assert not models.Wallet.objects.exists()
    return world


@pytest.mark.django_db(transaction=True)
def test_an_issuance_outside_a_transaction_writes_its_records_beside_the_ledger(
    world_without_wallets, monkeypatch
):
    committed_world = world_without_wallets
    records = record_threads(monkeypatch, "_issuance_record")
    wallets = record_threads(monkeypatch, "_wallet_rows_insert")
    monkeypatch.setattr(services, "BATCH", 2)  # three batches of wallets

    report = issue(committed_world)

    assert (report.due, report.written) == (6, 6)
    assert len(records) == 3 and len(wallets) == 3
    expected = "minga-write" if BACKGROUND else "MainThread"
    assert {name.split("_")[0] for name in records + wallets} == {expected}
    issued = list(models.Issuance.objects.select_related("wallet").order_by("pk"))
    assert len(issued) == 6
    for issuance in issued:
        transfer = ledger.transfer_get(transfer_id=int(issuance.transfer_id))
        assert transfer.amount == issuance.amount
        assert transfer.credit_account_id == int(issuance.wallet.account_id)
    # Batches written in order: wallets and records keep household order.
    assert [i.wallet.household_id for i in issued] == sorted(i.wallet.household_id for i in issued)
    identities_hold(committed_world)


@pytest.fixture(params=["general", "pipelined"])
def ledger_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Batches of two go through the ledger's general path; with SMALL_BATCH lowered below
    them, through its pipeline (ledger.transfers_create_pipelined: on PostgreSQL, outside a
    transaction, the next batch is decided while the server writes the last)."""
    if request.param == "pipelined":
        monkeypatch.setattr(ledger_services, "SMALL_BATCH", 1)
    return str(request.param)


@pytest.mark.django_db(transaction=True)
def test_an_issuance_through_the_ledger_pipeline_records_every_batch(
    committed_world, ledger_path, monkeypatch
):
    real, general = ledger_services.transfers_create, []

    def spy(**kwargs: Any) -> list[str]:
        general.append(len(kwargs["events"]))
        return real(**kwargs)

    monkeypatch.setattr(ledger_services, "transfers_create", spy)

    report = issue(committed_world)

    assert (report.due, report.written) == (6, 6)
    pipelined = ledger_path == "pipelined" and BACKGROUND
    assert general == ([] if pipelined else [2, 2, 2])
    assert ledger.ledger_head().transfers_count == 6
    for issuance in models.Issuance.objects.select_related("wallet"):
        transfer = ledger.transfer_get(transfer_id=int(issuance.transfer_id))
        assert (transfer.amount, transfer.credit_account_id) == (
            issuance.amount,
            int(issuance.wallet.account_id),
        )
    report = ledger.ledger_verify()
    assert report.ok, report.problem
    identities_hold(committed_world)


@pytest.mark.django_db(transaction=True)
def test_a_record_that_fails_beside_the_ledger_stops_the_run_and_the_rerun_completes_it(
    committed_world, ledger_path, monkeypatch
):
    real, calls = services._issuance_record, {"n": 0}

    def fail_second(**kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real(**kwargs)

    monkeypatch.setattr(services, "_issuance_record", fail_second)
    with pytest.raises(RuntimeError, match="disk full"):
        issue(committed_world)
    # The first batch is recorded; the ledger holds the second (and maybe the third, decided
    # before the failure was heard) without a record.
    assert models.Issuance.objects.count() == 2
    assert ledger.ledger_head().transfers_count in (4, 6)
    monkeypatch.setattr(services, "_issuance_record", real)

    report = issue(committed_world)

    assert (report.done_before, report.written) == (2, 4)
    assert ledger.ledger_head().transfers_count == 6
    assert models.Issuance.objects.count() == 6
    identities_hold(committed_world)
