"""The write path locks accounts before the journal head, so what it reads before the head lock
may be out of date by the time it holds it: a reservation that fell due on accounts it did not
lock, an id another writer took first. Each case rolls the attempt back and runs it again with
what it learned; these tests drive each one and check that nothing is half-applied."""

from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection

from minga.core.models import AuditEvent
from minga.core.selectors import audit_chain_verify
from minga.ledger import selectors, services
from minga.ledger.domain import PendingStatus
from minga.ledger.domain import TransferFlags as TF
from minga.ledger.models import LedgerHead
from minga.ledger.tests.factories import (
    account,
    at,
    create_accounts,
    create_transfers,
    funded_pair,
    transfer,
)


def balances(account_id):
    a = selectors.account_get(account_id=account_id)
    return (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)


def count_attempts(monkeypatch):
    attempts = []
    original = services._attempt_batch

    def counted(*args, **kwargs):
        attempts.append(args[3])
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_attempt_batch", counted)
    return attempts


@pytest.mark.django_db
def test_a_reservation_due_on_accounts_the_batch_does_not_name_is_released_first(monkeypatch):
    funded_pair()
    assert create_accounts(account(4), account(5)) == ["ok", "ok"]
    create_transfers(transfer(1, 2, 3, 80, flags=TF.PENDING, timeout=1), now=at(0))
    attempts = count_attempts(monkeypatch)

    assert create_transfers(transfer(2, 4, 5, 7), now=at(5)) == ["ok"]

    # An attempt found the due reservation on accounts 2 and 3 and ran again with them.
    assert len(attempts) >= 2
    assert {2, 3} <= attempts[-1].accounts
    assert balances(2) == (0, 0, 0, 100)
    assert selectors.pending_status_get(transfer_id=1) == PendingStatus.EXPIRED
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_a_reservation_due_by_the_ledger_clock_though_not_the_callers_is_released(monkeypatch):
    funded_pair()
    create_transfers(transfer(1, 2, 3, 80, flags=TF.PENDING, timeout=1), now=at(0))
    # Creating accounts moves the ledger's clock to 5 s without expiring anything.
    assert create_accounts(account(4), account(5), now=at(5)) == ["ok", "ok"]
    attempts = count_attempts(monkeypatch)

    # The caller's clock says 0.5 s, when nothing is due; the batch's own timestamp (after
    # 5 s) is past the reservation's timeout, which the head's next_expiry tells under its lock.
    assert create_transfers(transfer(2, 4, 5, 7), now=at(0.5)) == ["ok"]

    assert len(attempts) >= 2
    assert attempts[-1].due_through > selectors.datetime_to_ns(at(5))
    assert balances(2) == (0, 0, 0, 100)
    assert selectors.pending_status_get(transfer_id=1) == PendingStatus.EXPIRED
    report = selectors.ledger_verify()
    assert report.ok, report.problem


@pytest.mark.django_db
def test_the_head_keeps_the_earliest_timeout_still_pending():
    funded_pair()
    create_transfers(
        transfer(1, 2, 3, 10, flags=TF.PENDING, timeout=60),
        transfer(2, 2, 3, 10, flags=TF.PENDING, timeout=30),
        transfer(3, 2, 3, 10, flags=TF.PENDING),
        now=at(0),
    )

    def created(transfer_id):
        return selectors.transfer_get(transfer_id=transfer_id).timestamp

    head = selectors.ledger_head()
    assert head.next_expiry == created(2) + 30 * 10**9

    create_transfers(transfer(4, flags=TF.VOID_PENDING_TRANSFER, pending_id=2), now=at(1))
    head.refresh_from_db()
    assert head.next_expiry == created(1) + 60 * 10**9

    create_transfers(transfer(5, flags=TF.POST_PENDING_TRANSFER, pending_id=1), now=at(2))
    head.refresh_from_db()
    assert head.next_expiry is None  # transfer 3 has no timeout


class UniqueViolation(Exception):
    """What psycopg raises for a duplicate key: its SQLSTATE and the table in its diagnostics."""

    sqlstate = "23505"
    diag = SimpleNamespace(table_name="ledger_transfer")


def taken_error():
    """The error the database gives when another writer inserted one of the batch's ids after
    the batch read them (PostgreSQL; SQLite has one writer at a time and cannot race)."""
    error = IntegrityError("duplicate key value violates unique constraint")
    error.__cause__ = UniqueViolation()
    return error


@pytest.mark.django_db
def test_an_id_taken_by_a_concurrent_writer_runs_the_batch_again(monkeypatch):
    funded_pair()
    original = services._attempt_batch
    calls = []

    def first_loses_the_race(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise taken_error()
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_attempt_batch", first_loses_the_race)

    assert create_transfers(transfer(1, 2, 3, 10)) == ["ok"]
    assert len(calls) == 2
    assert balances(3) == (0, 0, 0, 10)


@pytest.mark.django_db
def test_other_integrity_errors_are_not_retried(monkeypatch):
    funded_pair()
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise IntegrityError("CHECK constraint failed: ledger_account_balances")

    monkeypatch.setattr(services, "_attempt_batch", broken)
    with pytest.raises(IntegrityError):
        create_transfers(transfer(1, 2, 3, 10))
    assert len(calls) == 1


@pytest.mark.django_db
def test_a_batch_that_keeps_meeting_changes_gives_up_having_applied_nothing(monkeypatch):
    funded_pair()
    events_before = AuditEvent.objects.count()

    def always_stale(events, actor, now, plan):
        raise services._Retry(plan)

    monkeypatch.setattr(services, "_attempt_batch", always_stale)
    with pytest.raises(services.LedgerBusy, match="send it again"):
        create_transfers(transfer(1, 2, 3, 10))
    assert balances(3) == (0, 0, 0, 0)
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
def test_verify_names_a_head_whose_next_timeout_was_changed():
    funded_pair()
    create_transfers(transfer(1, 2, 3, 10, flags=TF.PENDING, timeout=60), now=at(0))
    assert selectors.ledger_verify().ok
    LedgerHead.objects.filter(id=1).update(next_expiry=None)

    report = selectors.ledger_verify()

    assert not report.ok
    assert "next timeout" in report.problem


@pytest.mark.django_db
def test_a_small_batch_ends_with_the_same_journal_and_audit_event_either_way(monkeypatch):
    # On PostgreSQL this batch ends inside the database (minga_ledger_append); on SQLite in
    # Python. Either way the hashes are the ones verify recomputes, and the audit event says
    # what the general path says.
    funded_pair()
    sent = []
    original = selectors.run_together
    original_literal = selectors.run_literal_sql

    def spy(statements, **options):
        sent.extend(st[0] for st in statements if isinstance(st, tuple))
        return original(statements, **options)

    def spy_literal(sql):
        sent.append(sql)
        return original_literal(sql)

    monkeypatch.setattr(selectors, "run_together", spy)
    monkeypatch.setattr(selectors, "run_literal_sql", spy_literal)
    results = create_transfers(
        transfer(1, 2, 3, 10),
        transfer(2, 2, 3, 5, flags=TF.PENDING, timeout=30),
        transfer(3, 2, 3, 1, flags=TF.PENDING),
        now=at(1),
    )

    assert results == ["ok", "ok", "ok"]
    in_database = any("minga_ledger_append" in sql for sql in sent)
    assert in_database == (connection.vendor == "postgresql")
    head = selectors.ledger_head()
    first = selectors.transfer_get(transfer_id=1)
    assert [selectors.transfer_get(transfer_id=i).timestamp for i in (2, 3)] == [
        first.timestamp + 1,
        first.timestamp + 2,
    ]
    assert head.next_expiry == first.timestamp + 1 + 30 * 10**9
    assert selectors.pending_status_get(transfer_id=3) == PendingStatus.PENDING
    event = AuditEvent.objects.filter(action="ledger.transfers_create").last()
    assert event.object_id == "1"
    assert event.after == {
        "created": 3,
        "refused": 0,
        "exists": 0,
        "expired": 0,
        "first_timestamp": first.timestamp,
        "journal_hash": head.last_hash,
        "transfers_count": head.transfers_count,
    }
    assert balances(2) == (6, 10, 0, 100)
    report = selectors.ledger_verify()
    assert report.ok, report.problem
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_an_actor_whose_name_looks_like_a_marker_is_audited_all_the_same():
    funded_pair()
    name = "@@deferred:journal_hash@@ -9100000000000000001"

    assert services.transfers_create(events=[transfer(1, 2, 3, 10)], actor=name, now=at(1)) == [
        "ok"
    ]

    event = AuditEvent.objects.filter(action="ledger.transfers_create").last()
    assert event.actor_label == name
    assert event.after["journal_hash"] == selectors.ledger_head().last_hash
    assert audit_chain_verify().ok
    assert selectors.ledger_verify().ok


@pytest.mark.django_db(transaction=True)
def test_outside_any_transaction_each_way_of_ending_a_batch_commits_or_leaves_nothing(
    ledger_transactional,
):
    # Outside an atomic block a small batch on PostgreSQL opens and commits its own
    # transaction; a refusal, a replay and a due reservation each leave it rolled back first.
    funded_pair()
    assert create_transfers(transfer(1, 2, 3, 10)) == ["ok"]
    assert create_transfers(transfer(2, 2, 3, 1000)) == ["exceeds_credits"]
    assert create_transfers(transfer(1, 2, 3, 10)) == ["exists"]
    create_transfers(transfer(3, 2, 3, 50, flags=TF.PENDING, timeout=1), now=at(0))
    assert create_transfers(transfer(4, 3, 2, 1), now=at(5)) == ["ok"]

    assert balances(2) == (0, 10, 0, 101)
    assert selectors.pending_status_get(transfer_id=3) == PendingStatus.EXPIRED
    assert not connection.in_atomic_block
    if connection.vendor == "postgresql":
        assert connection.connection.info.transaction_status.name == "IDLE"
    else:
        assert not connection.connection.in_transaction
    report = selectors.ledger_verify()
    assert report.ok, report.problem
    assert audit_chain_verify().ok
