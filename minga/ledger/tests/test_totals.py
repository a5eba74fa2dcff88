"""The public index's totals per ledger: transfers are counted once, then only from where the
previous count stopped, and the count always equals the journal's rows."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from minga.ledger import selectors
from minga.ledger.domain import TransferFlags as TF
from minga.ledger.models import LedgerHead, Transfer
from minga.ledger.tests.factories import (
    LEDGER,
    account,
    at,
    create_accounts,
    create_transfers,
    post,
    transfer,
)

pytestmark = pytest.mark.django_db
OTHER = LEDGER + 1


def literally() -> dict[int, tuple[int, int | None, str | None]]:
    """ledger -> (transfers, last transfer id, its hash), from every row."""
    out: dict[int, tuple[int, int | None, str | None]] = {}
    counts = dict(Transfer.objects.values_list("ledger").annotate(n=Count("id")).order_by())
    for ledger, n in counts.items():
        last = Transfer.objects.filter(ledger=ledger).latest("timestamp")
        out[ledger] = (n, int(last.id), last.hash)
    return out


def shown() -> dict[int, tuple[int, int | None, str | None]]:
    return {
        t.number: (t.transfers, t.last_transfer_id, t.last_transfer_hash)
        for t in selectors.ledgers_totals()
        if t.transfers
    }


@pytest.fixture(autouse=True)
def _no_count_from_another_test():
    cache.clear()
    yield
    cache.clear()


def test_the_totals_count_each_ledgers_transfers_as_the_rows_do_batch_after_batch():
    create_accounts(account(1), account(2), account(3, ledger=OTHER), account(4, ledger=OTHER))
    assert shown() == {}

    create_transfers(transfer(10, 1, 2, 5), transfer(11, 3, 4, 7, ledger=OTHER), now=at(1))
    first = shown()
    create_transfers(transfer(12, 1, 2, 3, flags=TF.PENDING), now=at(2))
    create_transfers(post(13, 12, 3), transfer(14, 2, 1, 1), now=at(3))
    second = shown()

    assert first == {LEDGER: (1, 10, first[LEDGER][2]), OTHER: (1, 11, first[OTHER][2])}
    assert second == literally()
    assert second[LEDGER][:2] == (4, 14)
    assert second[OTHER] == first[OTHER]  # a ledger with nothing new keeps its last transfer


def test_a_second_view_counts_only_what_is_new():
    create_accounts(account(1), account(2))
    create_transfers(*(transfer(i, 1, 2, 1) for i in range(1, 21)), now=at(1))
    shown()
    counted_through = cache.get(selectors._counted_key()).through
    create_transfers(transfer(21, 2, 1, 1), now=at(2))

    with CaptureQueriesContext(connection) as queries:
        again = shown()

    assert again == literally()
    transfers_counted = [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper() and "ledger_account" not in q["sql"]
    ]
    # One count, of the transfers above the last one counted before.
    assert len(transfers_counted) == 1
    assert f'"ledger_transfer"."timestamp" > {counted_through}' in transfers_counted[0]


def test_a_count_whose_last_entry_is_gone_or_changed_is_made_again_from_every_row():
    create_accounts(account(1), account(2), account(3, ledger=OTHER), account(4, ledger=OTHER))
    create_transfers(transfer(1, 1, 2, 5), transfer(2, 3, 4, 5, ledger=OTHER), now=at(1))
    shown()
    key = selectors._counted_key()
    kept = cache.get(key)
    truth = literally()
    # What a rolled-back test or a restored backup leaves: counts of other transfers that even
    # add up to the head's count with what lies above them, but whose last entry is not in the
    # journal with that hash. Here: "one transfer of OTHER up to the first one's timestamp".
    changed = selectors._Counted(through=kept.through - 1, hash=kept.hash, counts={OTHER: 1})
    # ... or whose last entry is not in the journal at all.
    gone = selectors._Counted(through=kept.through + 10, hash=kept.hash, counts={LEDGER: 2})
    answers = []
    for stale in (changed, gone):
        cache.set(key, stale)
        answers.append(shown())

    assert answers == [truth, truth]
    assert truth == {LEDGER: (1, 1, kept.last[LEDGER][2]), OTHER: (1, 2, kept.hash)}


def test_a_count_that_does_not_add_up_to_the_journal_head_is_made_again():
    create_accounts(account(1), account(2))
    create_transfers(transfer(1, 1, 2, 5), transfer(2, 2, 1, 5), now=at(1))
    shown()
    key = selectors._counted_key()
    kept = cache.get(key)
    # The same last entry, but a count that is off by one: the head's count says so.
    cache.set(
        key,
        selectors._Counted(
            through=kept.through, hash=kept.hash, counts={LEDGER: 1}, last=kept.last
        ),
    )

    assert shown() == literally() == {LEDGER: (2, 2, kept.hash)}


def test_the_rows_are_shown_even_where_the_journal_head_disagrees_with_them():
    create_accounts(account(1), account(2))
    create_transfers(transfer(1, 1, 2, 5), now=at(1))
    # Not something the ledger does: `minga verify` is what reports it.
    LedgerHead.objects.filter(id=1).update(transfers_count=7)

    assert shown() == literally() == {LEDGER: (1, 1, Transfer.objects.get().hash)}
    assert shown() == literally()  # and again, from the count kept


def test_a_view_with_nothing_new_writes_nothing_to_the_cache(monkeypatch):
    create_accounts(account(1), account(2))
    create_transfers(transfer(1, 1, 2, 5), now=at(1))
    shown()
    writes: list[str] = []
    monkeypatch.setattr(cache, "set", lambda key, *a, **kw: writes.append(key))

    shown()
    create_transfers(transfer(2, 2, 1, 5), now=at(2))
    shown()

    assert writes == [selectors._counted_key()]  # the view after the new transfer only


def test_something_else_under_the_counts_key_is_ignored():
    create_accounts(account(1), account(2))
    create_transfers(transfer(1, 1, 2, 5), now=at(1))
    cache.set(selectors._counted_key(), {"through": 0})  # not a count

    assert shown() == literally()
    assert isinstance(cache.get(selectors._counted_key()), selectors._Counted)
