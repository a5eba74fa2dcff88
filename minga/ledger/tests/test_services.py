"""The write services: linked chains, two-phase transfers, expiry, closing accounts,
idempotent replays, refused batches, the audit event of each batch and the journal."""

import pytest

from minga.core.models import AuditEvent
from minga.ledger import selectors, services
from minga.ledger.domain import (
    BATCH_MAX,
    AccountEvent,
    InvalidEvent,
    PendingStatus,
    TransferEvent,
    journal_hash,
)
from minga.ledger.domain import AccountFlags as AF
from minga.ledger.domain import TransferFlags as TF
from minga.ledger.tests.factories import (
    LEDGER,
    T0,
    account,
    at,
    create_accounts,
    create_transfers,
    funded_pair,
    post,
    transfer,
    void,
)

L, P = TF.LINKED, TF.PENDING


def balances(account_id):
    a = selectors.account_get(account_id=account_id)
    return (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)


@pytest.mark.django_db
def test_a_transfer_moves_value_from_the_debit_to_the_credit_account():
    funded_pair()

    results = create_transfers(transfer(1, 2, 3, 30), now=at(1))

    assert results == ["ok"]
    assert balances(2) == (0, 30, 0, 100)
    assert balances(3) == (0, 0, 0, 30)
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_a_linked_chain_fails_as_a_whole_and_names_the_event_that_failed():
    funded_pair()

    results = create_transfers(
        transfer(1, 2, 3, 60, flags=L),
        transfer(2, 2, 3, 60, flags=L),
        transfer(3, 1, 3, 5),
        transfer(4, 1, 3, 7),
        now=at(1),
    )

    assert results == ["linked_event_failed", "exceeds_credits", "linked_event_failed", "ok"]
    assert balances(2) == (0, 0, 0, 100)
    assert balances(3) == (0, 0, 0, 7)
    assert selectors.transfer_get(transfer_id=1) is None
    assert selectors.transfer_get(transfer_id=3) is None
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_a_linked_chain_succeeds_as_a_whole():
    funded_pair()

    results = create_transfers(
        transfer(1, 2, 3, 60, flags=L),
        transfer(2, 3, 2, 10, flags=L),
        transfer(3, 2, 3, 50),
        now=at(1),
    )

    assert results == ["ok", "ok", "ok"]
    assert balances(2) == (0, 110, 0, 110)


@pytest.mark.django_db
def test_a_chain_left_open_at_the_end_of_the_batch_fails():
    funded_pair()

    results = create_transfers(transfer(1, 2, 3, 1), transfer(2, 2, 3, 1, flags=L), now=at(1))

    assert results == ["ok", "linked_event_chain_open"]
    assert selectors.transfer_get(transfer_id=2) is None


@pytest.mark.django_db
def test_a_failed_chain_undoes_a_pending_transfer_posted_inside_it():
    funded_pair()

    results = create_transfers(
        transfer(1, 2, 3, 40, flags=P | L),
        TransferEvent(id=2, pending_id=1, flags=int(TF.POST_PENDING_TRANSFER | L)),
        transfer(3, 3, 2, 1000),
        now=at(1),
    )

    assert results == ["linked_event_failed", "linked_event_failed", "exceeds_credits"]
    assert balances(2) == (0, 0, 0, 100)
    assert selectors.pending_status_get(transfer_id=1) is None
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_a_pending_transfer_reserves_and_a_partial_post_releases_the_rest():
    funded_pair()
    assert create_transfers(transfer(1, 2, 3, 80, flags=P), now=at(1)) == ["ok"]
    assert balances(2) == (80, 0, 0, 100)
    assert create_transfers(transfer(2, 2, 3, 30), now=at(2)) == ["exceeds_credits"]

    results = create_transfers(post(3, 1, amount=50), now=at(3))

    assert results == ["ok"]
    assert balances(2) == (0, 50, 0, 100)
    assert balances(3) == (0, 0, 0, 50)
    assert selectors.transfer_get(transfer_id=3).amount == 50
    assert selectors.pending_status_get(transfer_id=1) == PendingStatus.POSTED
    assert create_transfers(void(4, 1), now=at(4)) == ["pending_transfer_already_posted"]
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_a_void_releases_the_whole_reservation_exactly_once():
    funded_pair()
    create_transfers(transfer(1, 2, 3, 80, flags=P), now=at(1))

    results = create_transfers(void(2, 1), void(3, 1), now=at(2))

    assert results == ["ok", "pending_transfer_already_voided"]
    assert balances(2) == (0, 0, 0, 100)
    assert selectors.transfer_get(transfer_id=2).amount == 80


@pytest.mark.django_db
def test_a_timed_out_pending_transfer_expires_and_can_no_longer_be_posted():
    funded_pair()
    create_transfers(transfer(1, 2, 3, 80, flags=P, timeout=60), now=at(0))

    early = create_transfers(transfer(2, 1, 3, 1), now=at(59))
    assert balances(2) == (80, 0, 0, 100)
    late = create_transfers(post(3, 1), now=at(61))

    assert (early, late) == (["ok"], ["pending_transfer_expired"])
    assert balances(2) == (0, 0, 0, 100)
    assert selectors.pending_status_get(transfer_id=1) == PendingStatus.EXPIRED
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_expiry_can_run_on_its_own():
    funded_pair()
    create_transfers(transfer(1, 2, 3, 80, flags=P, timeout=1), now=at(0))

    expired = services.pending_transfers_expire(now=at(5))

    assert expired == 1
    assert balances(2) == (0, 0, 0, 100)
    assert services.pending_transfers_expire(now=at(6)) == 0
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_a_closing_transfer_closes_the_account_and_voiding_it_reopens_it():
    funded_pair()

    closing = create_transfers(transfer(1, 2, 1, 1, flags=P | TF.CLOSING_DEBIT), now=at(1))
    refused = create_transfers(transfer(2, 2, 3, 1), transfer(3, 3, 2, 1), now=at(2))
    assert selectors.account_get(account_id=2).flags & AF.CLOSED
    reopened = create_transfers(void(4, 1), transfer(5, 2, 3, 1), now=at(3))

    assert closing == ["ok"]
    assert refused == ["debit_account_already_closed", "credit_account_already_closed"]
    assert reopened == ["ok", "ok"]
    assert not selectors.account_get(account_id=2).flags & AF.CLOSED
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_a_replayed_batch_answers_exists_and_changes_nothing():
    funded_pair()
    batch = [transfer(1, 2, 3, 30), transfer(2, 2, 3, 30, flags=P), post(3, 2)]
    assert create_transfers(*batch, now=at(1)) == ["ok", "ok", "ok"]
    head = selectors.ledger_head()
    events = AuditEvent.objects.count()

    results = create_transfers(*batch, now=at(2))

    assert results == ["exists", "exists", "exists"]
    assert selectors.ledger_head().last_hash == head.last_hash
    assert balances(2) == (0, 60, 0, 100)
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_one_batch_writes_one_audit_event_with_counts_and_the_journal_hash():
    funded_pair()
    before = AuditEvent.objects.count()

    create_transfers(
        transfer(1, 2, 3, 30), transfer(2, 2, 3, 1000), transfer(3, 1, 3, 5), now=at(1)
    )

    events = list(AuditEvent.objects.filter(seq__gt=before))
    assert len(events) == 1
    head = selectors.ledger_head()
    assert events[0].action == "ledger.transfers_create"
    assert events[0].after == {
        "created": 2,
        "refused": 1,
        "exists": 0,
        "expired": 0,
        "first_timestamp": events[0].after["first_timestamp"],
        "journal_hash": head.last_hash,
        "transfers_count": 3,
    }


@pytest.mark.django_db
def test_timestamps_strictly_increase_even_when_the_clock_goes_back():
    funded_pair(now=at(100))

    create_transfers(transfer(1, 2, 3, 1), now=at(50))
    create_transfers(transfer(2, 2, 3, 1), now=at(50))

    stamps = [e.transfer.timestamp for e in selectors.journal_page().entries]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 3


@pytest.mark.django_db
def test_each_journal_entry_hashes_the_previous_one_and_its_transfer():
    funded_pair()
    create_transfers(transfer(1, 2, 3, 1), transfer(2, 2, 3, 1), now=at(1))

    entries = selectors.journal_page().entries

    prev = "0" * 64
    for entry in entries:
        assert entry.hash == journal_hash(prev, entry.transfer)
        prev = entry.hash
    assert selectors.ledger_head().last_hash == prev


@pytest.mark.django_db
def test_a_batch_with_a_field_out_of_range_is_refused_whole_and_changes_nothing():
    funded_pair()
    head = selectors.ledger_head()

    with pytest.raises(InvalidEvent) as refused:
        create_transfers(transfer(1, 2, 3, 5), transfer(2, 2, 3, -5), now=at(1))

    assert str(refused.value) == "[1].amount: must be between 0 and 9223372036854775807"
    assert refused.value.field == "[1].amount"
    assert selectors.ledger_head().last_hash == head.last_hash
    assert selectors.transfer_get(transfer_id=1) is None


@pytest.mark.django_db
def test_an_empty_or_oversized_batch_is_refused():
    with pytest.raises(InvalidEvent, match="a batch needs at least one item"):
        services.transfers_create(events=[], now=T0)
    with pytest.raises(InvalidEvent, match=f"a batch holds at most {BATCH_MAX} items"):
        services.accounts_create(
            events=[AccountEvent(id=i + 1, ledger=1, code=1) for i in range(BATCH_MAX + 1)],
            now=T0,
        )

    assert selectors.account_get(account_id=1) is None


@pytest.mark.django_db
def test_linked_accounts_are_created_all_or_none():
    results = create_accounts(
        account(1, flags=AF.LINKED), account(2, flags=AF.LINKED), account(3, code=0), account(4)
    )

    assert results == ["linked_event_failed", "linked_event_failed", "code_must_not_be_zero", "ok"]
    assert selectors.account_get(account_id=1) is None
    assert selectors.account_get(account_id=4) is not None


@pytest.mark.django_db
def test_an_account_chain_left_open_fails():
    results = create_accounts(account(1), account(2, flags=AF.LINKED))

    assert results == ["ok", "linked_event_chain_open"]


@pytest.mark.django_db
def test_an_account_created_twice_in_one_batch_exists_the_second_time():
    results = create_accounts(account(1), account(1), account(1, code=2))

    assert results == ["ok", "exists", "exists_with_different_code"]


@pytest.mark.django_db
def test_a_ledger_is_defined_once():
    services.ledger_define(number=840, name="Dólar", unit="USD", scale=2, now=T0)

    again = services.ledger_define(number=840, name="Dólar", unit="USD", scale=2, now=T0)
    with pytest.raises(services.LedgerAlreadyDefined, match="ledger 840 is already defined"):
        services.ledger_define(number=840, name="Euro", unit="EUR", scale=2, now=T0)
    with pytest.raises(ValueError, match="scale: must be between 0 and 18"):
        services.ledger_define(number=841, name="X", unit="X", scale=19, now=T0)

    assert again.name == "Dólar"


@pytest.mark.django_db
def test_balances_at_a_point_in_time_come_from_the_transfers():
    funded_pair(now=at(0))
    create_transfers(transfer(1, 2, 3, 30), now=at(10))
    create_transfers(transfer(2, 2, 3, 20, flags=P, timeout=5), now=at(20))
    ts = {e.transfer.id: e.transfer.timestamp for e in selectors.journal_page().entries}

    before = selectors.account_balances_at(account_id=2, timestamp=ts[1] - 1)
    after_pending = selectors.account_balances_at(account_id=2, timestamp=ts[2])
    after_timeout = selectors.account_balances_at(account_id=2, timestamp=ts[2] + 5 * 10**9)

    assert (before.debits_posted, before.credits_posted) == (0, 100)
    assert (after_pending.debits_pending, after_pending.debits_posted) == (20, 30)
    assert (after_timeout.debits_pending, after_timeout.debits_posted) == (0, 30)


@pytest.mark.django_db
def test_an_accounts_transfers_come_a_page_at_a_time_in_time_order():
    funded_pair()
    create_transfers(*[transfer(i, 2, 3, 1) for i in range(1, 8)], now=at(1))

    first = selectors.account_transfers(account_id=2, limit=3)
    second = selectors.account_transfers(account_id=2, after=first.next_after, limit=3)
    rest = selectors.account_transfers(account_id=2, after=second.next_after, limit=3)
    newest = selectors.account_transfers(account_id=2, limit=2, reverse=True)

    assert [t.id for t in first.transfers] == [1000, 1, 2]
    assert [t.id for t in second.transfers] == [3, 4, 5]
    assert [t.id for t in rest.transfers] == [6, 7]
    assert rest.next_after is None
    assert [t.id for t in newest.transfers] == [7, 6]


@pytest.mark.django_db
def test_a_replayed_linked_chain_answers_exists_then_linked_event_failed():
    funded_pair()
    chain = [transfer(1, 2, 3, 10, flags=L), transfer(2, 2, 3, 10)]
    assert create_transfers(*chain, now=at(1)) == ["ok", "ok"]

    results = create_transfers(*chain, now=at(2))

    assert results == ["exists", "linked_event_failed"]
    assert balances(2) == (0, 20, 0, 100)


@pytest.mark.django_db
def test_balances_are_summed_over_the_accounts_of_one_ledger_and_code():
    create_accounts(
        account(1, code=5),
        account(2, code=7),
        account(3, code=7),
        account(4, ledger=LEDGER + 1, code=7),
        account(5, ledger=LEDGER + 1, code=5),
    )
    create_transfers(
        transfer(1, 1, 2, 30),
        transfer(2, 1, 3, 12, flags=TF.PENDING),
        transfer(3, 2, 3, 5),
        transfer(4, 5, 4, 99, ledger=LEDGER + 1),
    )

    sevens = selectors.balances_by_code(ledger=LEDGER, code=7)

    # Accounts 2 and 3 only: not account 1 (another code) nor 4 (another ledger).
    assert (sevens.debits_pending, sevens.debits_posted) == (0, 5)
    assert (sevens.credits_pending, sevens.credits_posted) == (12, 35)
    assert selectors.balances_by_code(ledger=LEDGER, code=99) == selectors.Balances(0, 0, 0, 0)
