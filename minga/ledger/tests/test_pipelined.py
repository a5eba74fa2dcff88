"""transfers_create_pipelined: runs of large batches (a monthly issuance). On PostgreSQL, outside
any transaction, the server writes and commits one batch while Python decides the next on the
states it predicts, and the prediction is checked against the locked rows before anything is
written. Whatever the path, every batch must be answered and written as transfers_create
would: these tests check the answers, the balances and the journal (ledger_verify replays it),
the audit events, and what happens when a prediction is wrong, an id is taken, a batch is
invalid, another writer runs beside it, or the caller stops early."""

import re
import threading
import time
from collections.abc import Iterator
from itertools import pairwise

import psycopg
import pytest
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from minga.core.models import AuditEvent
from minga.core.selectors import audit_chain_verify
from minga.core.services import audit_record
from minga.ledger import selectors, services
from minga.ledger.domain import (
    AccountFlags,
    InvalidEvent,
    TransferEvent,
    TransferFlags,
    id_text,
)
from minga.ledger.tests.factories import T0, account, create_accounts, create_transfers, transfer

POSTGRES = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(
    not POSTGRES, reason="PostgreSQL only (the PostgreSQL pass of `make test` runs these)"
)

FUND = 1
WALLETS = list(range(100, 160))  # 60 wallets: debits must not exceed credits
SIZE = services.SMALL_BATCH + 4  # a batch the pipeline takes


@pytest.fixture
def accounts(ledger_transactional):
    limited = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    results = create_accounts(account(FUND), *(account(w, flags=limited) for w in WALLETS))
    assert set(results) == {"ok"}


def issue_batches(
    count: int, *, first_id: int = 10_000, amount: int = 5
) -> list[list[TransferEvent]]:
    """`count` batches of SIZE transfers from the fund to the wallets, in wallet order."""
    batches: list[list[TransferEvent]] = []
    next_id = first_id
    for b in range(count):
        batch = []
        for k in range(SIZE):
            wallet = WALLETS[(b * SIZE + k) % len(WALLETS)]
            batch.append(transfer(next_id, FUND, wallet, amount + b))
            next_id += 1
        batches.append(batch)
    return batches


def run(batches, *, now=T0) -> list[list[str]]:
    return list(services.transfers_create_pipelined(batches=iter(batches), now=now))


def count_general(monkeypatch) -> list[int]:
    """The sizes of the batches sent through transfers_create."""
    real, sizes = services.transfers_create, []

    def spy(*, events, **kwargs):
        sizes.append(len(events))
        return real(events=events, **kwargs)

    monkeypatch.setattr(services, "transfers_create", spy)
    return sizes


def balances_hold(batches) -> None:
    """Every batch's transfers are in the ledger, and the journal replays to the stored
    balances and hashes."""
    report = selectors.ledger_verify()
    assert report.ok, report.problem
    assert audit_chain_verify().ok
    for batch in batches:
        stored = selectors.transfers_get(transfer_ids=[e.id for e in batch])
        assert {i: t.amount for i, t in stored.items()} == {e.id: e.amount for e in batch}


def connection_idle() -> bool:
    raw = connection.connection
    return bool(raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE)


@postgres_only
def test_batches_are_pipelined_and_written_as_transfers_create_writes_them(accounts, monkeypatch):
    batches = issue_batches(6)
    general = count_general(monkeypatch)
    audits_before = AuditEvent.objects.filter(action="ledger.transfers_create").count()

    results = run(batches)

    assert results == [["ok"] * SIZE] * 6
    assert general == []  # none went the general way
    balances_hold(batches)
    fund = selectors.account_get(account_id=FUND)
    assert fund.debits_posted == sum(e.amount for b in batches for e in b)
    wallet = selectors.account_get(account_id=WALLETS[0])
    assert wallet.credits_posted == sum(
        e.amount for b in batches for e in b if e.credit_account_id == WALLETS[0]
    )
    events = AuditEvent.objects.filter(action="ledger.transfers_create").order_by("seq")
    assert events.count() == audits_before + 6
    last = events.last().after
    assert last["created"] == SIZE and last["transfers_count"] == 6 * SIZE
    # Each batch's timestamps follow the one before's.
    stamps = [
        selectors.transfer_get(transfer_id=b[0].id).timestamp for b in batches
    ]  # first of each batch
    assert stamps == sorted(stamps)
    assert connection_idle()


@postgres_only
def test_each_batch_is_answered_only_once_it_is_committed(accounts, monkeypatch):
    batches = issue_batches(4)
    seen = []
    real_send = selectors.literal_send

    def slow_commits(sql):
        # Every write of a batch reaches the server 0.3 s late: an answer given before the
        # server has committed is seen from another connection as missing rows.
        head = "UPDATE ledger_ledgerhead SET "
        assert ("COMMIT" in sql) == (head in sql)
        real_send(re.sub(f"({head}[^;]*WHERE id = 1)", r"\1 AND pg_sleep(0.3) IS NOT NULL", sql))

    monkeypatch.setattr(selectors, "literal_send", slow_commits)
    for i, results in enumerate(services.transfers_create_pipelined(batches=iter(batches), now=T0)):
        # Another connection sees the batch just answered (and everything before it).
        with psycopg.connect(**connection.get_connection_params()) as other:
            ids = ",".join(str(e.id).zfill(39) for e in batches[i])
            [(count,)] = other.execute(
                "SELECT count(*) FROM ledger_transfer WHERE id = ANY(string_to_array(%s, ','))",
                [ids],
            ).fetchall()
        seen.append((results, count))
    assert seen == [(["ok"] * SIZE, SIZE)] * 4


@pytest.mark.django_db
def test_inside_a_transaction_or_on_sqlite_each_batch_goes_through_transfers_create(
    monkeypatch,
):
    """The test's own transaction stands for a caller's (and pipelining needs another
    connection's view of each commit)."""
    limited = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    create_accounts(account(FUND), *(account(w, flags=limited) for w in WALLETS))
    batches = issue_batches(3)
    general = count_general(monkeypatch)

    results = run(batches)

    assert results == [["ok"] * SIZE] * 3
    assert general == [SIZE] * 3
    balances_hold(batches)


@postgres_only
def test_a_wrong_guess_is_caught_by_the_locked_rows_and_decided_again(accounts, monkeypatch):
    """The guess of every batch after the first is made on a read in which one wallet holds
    1,000 more than it does: written as guessed, that wallet's balance would not replay."""
    real = services._Pipeline.guess
    guesses = []

    def wrong(self, batch, read, before):
        wallet = min(batch.accounts - {FUND})
        rows = read.split(b";")
        for n, row in enumerate(rows):
            fields = row.split(b",")
            if int(fields[0]) == wallet:
                fields[7] = str(int(fields[7]) + 1000).encode()  # credits_posted
                rows[n] = b",".join(fields)
        planned = real(self, batch, b";".join(rows), before)
        guesses.append(planned is not None)
        return planned

    monkeypatch.setattr(services._Pipeline, "guess", wrong)
    general = count_general(monkeypatch)
    batches = issue_batches(5)

    results = run(batches)

    assert results == [["ok"] * SIZE] * 5
    assert guesses == [True] * 4  # every guess was made, and every one was set aside
    assert general == []
    balances_hold(batches)


@postgres_only
def test_a_guess_on_a_stale_journal_head_is_decided_again(accounts, monkeypatch):
    real = services._Pipeline.guess

    def stale(self, batch, read, before):
        before.head.last_hash = "0" * 64  # what another writer's batch would have changed
        return real(self, batch, read, before)

    monkeypatch.setattr(services._Pipeline, "guess", stale)
    batches = issue_batches(3)

    assert run(batches) == [["ok"] * SIZE] * 3
    balances_hold(batches)


@postgres_only
def test_another_writer_beside_the_pipeline_changes_nothing_it_should_not(accounts):
    """Single transfers on the fund and on wallets of later batches, from another connection,
    while the pipeline runs: each side's transfers are all there and the balances replay."""
    batches = issue_batches(8)
    others = [transfer(90_000 + n, FUND, WALLETS[(n * 7) % len(WALLETS)], 1) for n in range(40)]
    answers: list[str] = []

    def writer():
        try:
            for event in others:
                answers.extend(services.transfers_create(events=[event], now=T0))
                time.sleep(0.002)
        finally:
            connection.close()

    def slowly() -> Iterator[list]:
        for batch in batches:
            time.sleep(0.01)
            yield batch

    thread = threading.Thread(target=writer)
    thread.start()
    results = list(services.transfers_create_pipelined(batches=slowly(), now=T0))
    thread.join()

    assert results == [["ok"] * SIZE] * 8
    assert answers == ["ok"] * len(others)
    balances_hold([*batches, others])
    fund = selectors.account_get(account_id=FUND)
    assert fund.debits_posted == sum(e.amount for b in batches for e in b) + len(others)


@postgres_only
def test_an_id_taken_in_a_middle_batch_answers_exists_and_the_run_goes_on(accounts, monkeypatch):
    batches = issue_batches(5)
    crashed = batches[2][4]  # as a crashed run left it: the same transfer, already written
    assert create_transfers(crashed) == ["ok"]
    general = count_general(monkeypatch)

    results = run(batches)

    expected = [["ok"] * SIZE] * 5
    expected[2] = ["ok"] * 4 + ["exists"] + ["ok"] * (SIZE - 5)
    assert results == expected
    assert general == [SIZE]  # that batch only, once the insert refused it
    balances_hold(batches)
    assert connection_idle()


@postgres_only
def test_batches_the_pipeline_does_not_take_go_through_transfers_create(accounts, monkeypatch):
    batches = issue_batches(4)
    small = batches[1][: services.SMALL_BATCH]  # too small to pipeline
    reserving = [
        transfer(
            e.id, e.debit_account_id, e.credit_account_id, e.amount, flags=TransferFlags.PENDING
        )
        for e in batches[2]
    ]
    general = count_general(monkeypatch)

    results = run([batches[0], small, reserving, batches[3]])

    assert results == [["ok"] * SIZE, ["ok"] * len(small), ["ok"] * SIZE, ["ok"] * SIZE]
    assert general == [len(small), SIZE]
    balances_hold([batches[0], small, batches[3]])
    assert selectors.pending_status_get(transfer_id=reserving[0].id) is not None


@postgres_only
def test_a_refused_event_sends_its_batch_the_general_way(accounts, monkeypatch):
    batches = issue_batches(3)
    batches[1][3] = transfer(batches[1][3].id, FUND, 999, 5)  # no such account
    general = count_general(monkeypatch)

    results = run(batches)

    assert results[0] == results[2] == ["ok"] * SIZE
    assert results[1][3] == "credit_account_not_found"
    assert general == [SIZE]
    report = selectors.ledger_verify()
    assert report.ok, report.problem


@pytest.mark.django_db(transaction=True)
def test_an_invalid_batch_ends_the_run_after_the_batches_before_it_are_committed(
    ledger_transactional,
):
    limited = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    create_accounts(account(FUND), *(account(w, flags=limited) for w in WALLETS))
    batches = issue_batches(4)
    batches[2][0] = transfer(2**128, FUND, WALLETS[0], 5)  # an id out of range
    answered = []

    with pytest.raises(InvalidEvent):
        for results in services.transfers_create_pipelined(batches=iter(batches), now=T0):
            answered.append(results)

    assert answered == [["ok"] * SIZE] * 2
    balances_hold(batches[:2])
    assert selectors.transfer_get(transfer_id=batches[3][0].id) is None
    if POSTGRES:
        assert connection_idle()


@postgres_only
def test_a_caller_that_stops_early_leaves_no_transaction_open(accounts):
    batches = issue_batches(5)
    answers = services.transfers_create_pipelined(batches=iter(batches), now=T0)

    assert next(answers) == ["ok"] * SIZE
    answers.close()

    assert connection_idle()
    report = selectors.ledger_verify()
    assert report.ok, report.problem
    # The batch whose writes were in flight may have committed; none after it did.
    assert selectors.transfer_get(transfer_id=batches[2][0].id) is None
    assert create_transfers(transfer(99_999, FUND, WALLETS[0], 1)) == ["ok"]


@postgres_only
def test_the_caller_may_wait_between_answers_for_an_audit_event_on_another_connection(
    accounts,
):
    """As the monthly issuance does: each answer's record, with its audit event, is written on
    a second connection, and the caller waits for it before the next answer. The pipeline holds
    the next batch's locks meanwhile, but never the audit head: that is locked only by the
    statement that appends the batch's own event, just before its COMMIT. (Holding it across
    answers, the first version deadlocked a million-household run.)"""
    batches = issue_batches(5)
    outcomes: list[str] = []

    def record(n: int) -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '5s'")
                audit_record(
                    actor="test", action="test.record", object_type="t", object_id=n, now=T0
                )
            outcomes.append("recorded")
        except Exception as error:  # the outcome is what is checked
            outcomes.append(repr(error))
        finally:
            connection.close()

    for n, results in enumerate(services.transfers_create_pipelined(batches=iter(batches), now=T0)):
        assert results == ["ok"] * SIZE
        thread = threading.Thread(target=record, args=(n,))
        thread.start()
        thread.join()

    assert outcomes == ["recorded"] * 5
    assert audit_chain_verify().ok
    balances_hold(batches)


@given(
    st.lists(st.integers(min_value=0, max_value=2**128 - 1), min_size=1, max_size=60, unique=True)
)
def test_id_ranges_hold_every_id_in_at_most_a_few_sorted_ranges(numbers):
    ranges = selectors.id_ranges(numbers)

    assert 1 <= len(ranges) <= selectors.ID_RANGES
    assert ranges == sorted(ranges) and all(lo <= hi for lo, hi in ranges)
    assert all(a[1] < b[0] for a, b in pairwise(ranges))  # disjoint
    assert all(any(lo <= n <= hi for lo, hi in ranges) for n in numbers)
    assert ranges[0][0] == min(numbers) and ranges[-1][1] == max(numbers)


def test_a_far_account_gets_a_range_of_its_own():
    """A monthly issuance's batch: one fund account far from thousands of neighbouring wallets."""
    wallets = [(7 << 100) + (h << 20) + 1 for h in range(5000)]

    ranges = selectors.id_ranges([*wallets, 3])

    assert ranges[0] == (3, 3)
    assert (ranges[1][0], ranges[-1][1]) == (wallets[0], wallets[-1])
    assert "'" + id_text(3) + "'" in selectors.id_bounds("id", [*wallets, 3])
