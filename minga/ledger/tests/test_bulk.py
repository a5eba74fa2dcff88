"""Large batches of accounts (more than SMALL_BATCH): on PostgreSQL they first assume no id is
taken and write by COPY, and run again reading the accounts when that assumption fails. The
answers must be the ones a small batch gives, on both databases."""

import pytest

from minga.core.models import AuditEvent
from minga.ledger import selectors, services
from minga.ledger.tests.factories import account, create_accounts, create_transfers, transfer

N = services.SMALL_BATCH + 4


@pytest.mark.django_db
def test_a_large_batch_of_new_accounts_is_created_in_order():
    results = create_accounts(*(account(i) for i in range(1, N + 1)))

    assert results == ["ok"] * N
    stamps = [selectors.account_get(account_id=i).timestamp for i in range(1, N + 1)]
    assert stamps == sorted(stamps) and len(set(stamps)) == N
    assert AuditEvent.objects.filter(action="ledger.accounts_create").count() == 1


@pytest.mark.django_db
def test_a_large_batch_with_taken_ids_answers_as_a_small_one_and_creates_only_the_new():
    create_accounts(*(account(i) for i in range(1, 6)), account(7, code=9))
    batch = [account(i) for i in range(1, N + 1)]  # 1..5 taken as they are; 7 taken, code 9
    events_before = AuditEvent.objects.count()

    results = create_accounts(*batch)

    expected = ["exists"] * 5 + ["ok"] * (N - 5)
    expected[6] = "exists_with_different_code"
    assert results == expected
    assert selectors.account_get(account_id=N) is not None
    assert selectors.account_get(account_id=7).code == 9
    assert AuditEvent.objects.count() == events_before + 1
    report = selectors.ledger_verify()
    assert report.ok, report.problem


@pytest.mark.django_db
def test_a_large_batch_with_a_refused_event_creates_the_others():
    batch = [account(i) for i in range(1, N + 1)]
    batch[3] = account(4, ledger=0)

    results = create_accounts(*batch)

    assert results[3] == "ledger_must_not_be_zero"
    assert results[:3] + results[4:] == ["ok"] * (N - 1)
    assert selectors.account_get(account_id=4) is None
    assert selectors.account_get(account_id=5) is not None


@pytest.mark.django_db
def test_a_large_batch_naming_one_id_twice_creates_it_once():
    batch = [account(i) for i in range(1, N + 1)] + [account(1)]

    results = create_accounts(*batch)

    assert results == ["ok"] * N + ["exists"]


@pytest.mark.django_db
def test_a_large_batch_of_transfers_with_a_taken_id_answers_exists_and_creates_the_others():
    """On PostgreSQL the batch first goes by COPY without reading its ids; the primary key's
    refusal must come back as the IntegrityError the write path retries on (it once escaped as
    psycopg's own error, and a rerun after a crash failed instead of answering `exists`)."""
    create_accounts(account(1), *(account(w) for w in range(100, 100 + N)))
    batch = [transfer(10_000 + k, 1, 100 + k, 5) for k in range(N)]
    assert create_transfers(batch[4]) == ["ok"]

    results = create_transfers(*batch)

    assert results == ["ok"] * 4 + ["exists"] + ["ok"] * (N - 5)
    report = selectors.ledger_verify()
    assert report.ok, report.problem
