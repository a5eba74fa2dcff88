"""The write path locks accounts before the journal head, so what it reads before the head lock
may be out of date by the time it holds it: a reservation that fell due on accounts it did not
lock, an id another writer took first. Each case rolls the attempt back and runs it again with
what it learned; these tests drive each one and check that nothing is half-applied."""

from types import SimpleNamespace

import pytest
from django.db import IntegrityError

from minga.core.models import AuditEvent
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

    # The first attempt found the due reservation on accounts 2 and 3 and ran again with them.
    assert len(attempts) == 2
    assert {2, 3} <= attempts[1].accounts
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

    assert len(attempts) == 2
    assert attempts[1].due_through > selectors.datetime_to_ns(at(5))
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
