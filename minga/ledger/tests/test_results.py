"""One table-driven test per create_transfers / create_accounts result code, and one per
precedence rule (when two errors apply, the one listed first in domain.CreateTransferResult is
answered). Every case runs through the real service against a small ledger built with it."""

import pytest

from minga.ledger import selectors
from minga.ledger.domain import (
    AMOUNT_MAX,
    U32_MAX,
    U128_MAX,
    CreateAccountResult,
    CreateTransferResult,
)
from minga.ledger.domain import AccountFlags as AF
from minga.ledger.domain import TransferFlags as TF
from minga.ledger.tests.factories import (
    account,
    at,
    create_accounts,
    create_transfers,
    post,
    transfer,
    void,
)

OTHER_LEDGER = 978


def build_world():
    """Accounts: 1 source (no limit); 2 holds 100 and may not overdraw; 3 may not overdraw;
    4 may not be credited beyond its debits; 5 on another ledger; 6 closed; 7..12 near the
    2**63 - 1 balance limit. Transfers: 1000 funds 2; 2000 pending 50; 2001 pending 10 with a
    1 s timeout (expired by t=10 s); 2002 pending then posted by 2003; 2004 pending then voided
    by 2005; 3000..3003 fill the big accounts."""
    limited = AF.DEBITS_MUST_NOT_EXCEED_CREDITS
    results = create_accounts(
        account(1),
        account(2, flags=limited),
        account(3, flags=limited),
        account(4, flags=AF.CREDITS_MUST_NOT_EXCEED_DEBITS),
        account(5, ledger=OTHER_LEDGER),
        account(6, flags=AF.CLOSED),
        *[account(i) for i in range(7, 13)],
    )
    assert set(results) == {"ok"}
    half = 1 << 62
    results = create_transfers(
        transfer(1000, 1, 2, 100),
        transfer(2000, 1, 3, 50, flags=TF.PENDING),
        transfer(2001, 1, 3, 10, flags=TF.PENDING, timeout=1),
        transfer(2002, 1, 3, 7, flags=TF.PENDING),
        post(2003, 2002),
        transfer(2004, 1, 3, 8, flags=TF.PENDING),
        void(2005, 2004),
        transfer(3000, 7, 8, AMOUNT_MAX, flags=TF.PENDING),
        transfer(3001, 9, 10, AMOUNT_MAX),
        transfer(3002, 11, 12, half, flags=TF.PENDING),
        transfer(3003, 11, 12, half - 1),
    )
    assert set(results) == {"ok"}, results


P, POST, VOID = TF.PENDING, TF.POST_PENDING_TRANSFER, TF.VOID_PENDING_TRANSFER

# (result, event): each event is sent alone at t = 10 s.
RESULT_CASES = [
    ("ok", transfer(11, 1, 3, 5)),
    ("reserved_flag", transfer(11, 1, 3, 5, flags=1 << 12)),
    ("id_must_not_be_zero", transfer(0, 1, 3, 5)),
    ("id_must_not_be_int_max", transfer(U128_MAX, 1, 3, 5)),
    ("exists_with_different_flags", transfer(1000, 1, 2, 100, flags=P)),
    ("exists_with_different_pending_id", post(2003, 2000)),
    ("exists_with_different_timeout", transfer(2001, 1, 3, 10, flags=P, timeout=2)),
    ("exists_with_different_debit_account_id", transfer(1000, 3, 2, 100)),
    ("exists_with_different_credit_account_id", transfer(1000, 1, 3, 100)),
    ("exists_with_different_amount", transfer(1000, 1, 2, 99)),
    ("exists_with_different_user_data_128", transfer(1000, 1, 2, 100, user_data_128=1)),
    ("exists_with_different_user_data_64", transfer(1000, 1, 2, 100, user_data_64=1)),
    ("exists_with_different_user_data_32", transfer(1000, 1, 2, 100, user_data_32=1)),
    ("exists_with_different_ledger", transfer(1000, 1, 2, 100, ledger=OTHER_LEDGER)),
    ("exists_with_different_code", transfer(1000, 1, 2, 100, code=2)),
    ("exists", transfer(1000, 1, 2, 100)),
    ("flags_are_mutually_exclusive", transfer(11, 1, 3, 5, flags=P | POST)),
    ("debit_account_id_must_not_be_zero", transfer(11, 0, 3, 5)),
    ("debit_account_id_must_not_be_int_max", transfer(11, U128_MAX, 3, 5)),
    ("credit_account_id_must_not_be_zero", transfer(11, 1, 0, 5)),
    ("credit_account_id_must_not_be_int_max", transfer(11, 1, U128_MAX, 5)),
    ("accounts_must_be_different", transfer(11, 3, 3, 5)),
    ("pending_id_must_be_zero", transfer(11, 1, 3, 5, pending_id=2000)),
    ("pending_id_must_not_be_zero", post(11, 0)),
    ("pending_id_must_not_be_int_max", post(11, U128_MAX)),
    ("pending_id_must_be_different", post(11, 11)),
    ("timeout_reserved_for_pending_transfer", transfer(11, 1, 3, 5, timeout=5)),
    ("closing_transfer_must_be_pending", transfer(11, 1, 3, 5, flags=TF.CLOSING_DEBIT)),
    ("amount_must_not_be_zero", transfer(11, 1, 3, 0)),
    ("ledger_must_not_be_zero", transfer(11, 1, 3, 5, ledger=0)),
    ("code_must_not_be_zero", transfer(11, 1, 3, 5, code=0)),
    ("debit_account_not_found", transfer(11, 99, 3, 5)),
    ("credit_account_not_found", transfer(11, 1, 99, 5)),
    ("accounts_must_have_the_same_ledger", transfer(11, 1, 5, 5)),
    ("transfer_must_have_the_same_ledger_as_accounts", transfer(11, 1, 3, 5, ledger=OTHER_LEDGER)),
    ("pending_transfer_not_found", post(11, 98765)),
    ("pending_transfer_not_pending", post(11, 1000)),
    ("pending_transfer_has_different_debit_account_id", post(11, 2000, debit_account_id=2)),
    ("pending_transfer_has_different_credit_account_id", post(11, 2000, credit_account_id=2)),
    ("pending_transfer_has_different_ledger", post(11, 2000, ledger=OTHER_LEDGER)),
    ("pending_transfer_has_different_code", post(11, 2000, code=7)),
    ("exceeds_pending_transfer_amount", post(11, 2000, amount=51)),
    ("pending_transfer_has_different_amount", void(11, 2000, amount=49)),
    ("pending_transfer_already_posted", post(11, 2002)),
    ("pending_transfer_already_voided", post(11, 2004)),
    ("pending_transfer_expired", post(11, 2001)),
    ("debit_account_already_closed", transfer(11, 6, 3, 5)),
    ("credit_account_already_closed", transfer(11, 1, 6, 5)),
    ("overflows_debits_pending", transfer(11, 7, 3, 1, flags=P)),
    ("overflows_credits_pending", transfer(11, 1, 8, 1, flags=P)),
    ("overflows_debits_posted", transfer(11, 9, 3, 1)),
    ("overflows_credits_posted", transfer(11, 1, 10, 1)),
    ("overflows_debits", transfer(11, 11, 1, 1)),
    ("overflows_credits", transfer(11, 1, 12, 1)),
    ("exceeds_credits", transfer(11, 2, 3, 101)),
    ("exceeds_debits", transfer(11, 1, 4, 1)),
]

# (result, event, why): two or more errors apply; the higher one in the list is answered.
PRECEDENCE_CASES = [
    ("reserved_flag", transfer(0, 1, 3, 5, flags=1 << 12), "reserved_flag > id_must_not_be_zero"),
    ("id_must_not_be_zero", transfer(0, 0, 0, 0), "id_must_not_be_zero > debit/credit/amount"),
    ("exists", transfer(1000, 1, 2, 100), "exists > exceeds_credits (a replay stays a replay)"),
    (
        "exists_with_different_flags",
        transfer(1000, 1, 2, 99, flags=P),
        "exists_with_different_flags > exists_with_different_amount",
    ),
    (
        "exists_with_different_pending_id",
        post(2003, 2000, amount=3),
        "exists_with_different_pending_id > exists_with_different_amount",
    ),
    (
        "exists_with_different_debit_account_id",
        transfer(1000, 3, 4, 1),
        "exists_with_different_debit_account_id > credit account > amount",
    ),
    (
        "exists_with_different_amount",
        transfer(1000, 1, 2, 1, code=9),
        "exists_with_different_amount > exists_with_different_code",
    ),
    (
        "exists_with_different_user_data_128",
        transfer(1000, 1, 2, 100, user_data_128=1, ledger=OTHER_LEDGER),
        "exists_with_different_user_data_128 > exists_with_different_ledger",
    ),
    (
        "flags_are_mutually_exclusive",
        transfer(11, 0, 0, 5, flags=POST | VOID),
        "flags_are_mutually_exclusive > debit_account_id_must_not_be_zero",
    ),
    (
        "debit_account_id_must_not_be_zero",
        transfer(11, 0, 0, 5),
        "debit_account_id_must_not_be_zero > credit_account_id_must_not_be_zero",
    ),
    (
        "accounts_must_be_different",
        transfer(11, 3, 3, 5, pending_id=2000),
        "accounts_must_be_different > pending_id_must_be_zero",
    ),
    (
        "pending_id_must_be_zero",
        transfer(11, 1, 3, 5, pending_id=2000, timeout=3),
        "pending_id_must_be_zero > timeout_reserved_for_pending_transfer",
    ),
    (
        "amount_must_not_be_zero",
        transfer(11, 1, 3, 0, ledger=0, code=0),
        "amount_must_not_be_zero > ledger_must_not_be_zero > code_must_not_be_zero",
    ),
    (
        "ledger_must_not_be_zero",
        transfer(11, 98, 99, 5, ledger=0),
        "ledger_must_not_be_zero > debit_account_not_found",
    ),
    (
        "debit_account_not_found",
        transfer(11, 98, 99, 5),
        "debit_account_not_found > credit_account_not_found",
    ),
    (
        "accounts_must_have_the_same_ledger",
        transfer(11, 1, 5, 5, ledger=OTHER_LEDGER + 1),
        "accounts_must_have_the_same_ledger > transfer_must_have_the_same_ledger_as_accounts",
    ),
    (
        "pending_transfer_not_found",
        post(11, 98765, debit_account_id=2),
        "pending_transfer_not_found > pending_transfer_has_different_debit_account_id",
    ),
    (
        "pending_transfer_has_different_debit_account_id",
        post(11, 2000, debit_account_id=2, amount=10**6),
        "pending_transfer_has_different_debit_account_id > exceeds_pending_transfer_amount",
    ),
    (
        "exceeds_pending_transfer_amount",
        post(11, 2002, amount=10**6),
        "exceeds_pending_transfer_amount > pending_transfer_already_posted",
    ),
    (
        "pending_transfer_has_different_amount",
        void(11, 2004, amount=1),
        "pending_transfer_has_different_amount > pending_transfer_already_voided",
    ),
    (
        "debit_account_already_closed",
        transfer(11, 6, 4, 5),
        "debit_account_already_closed > exceeds_debits",
    ),
    (
        "overflows_debits_posted",
        transfer(11, 9, 4, 1),
        "overflows_debits_posted > exceeds_debits",
    ),
    (
        "exceeds_credits",
        transfer(11, 2, 4, 101),
        "exceeds_credits > exceeds_debits",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("expected", "event"), RESULT_CASES, ids=[c[0] for c in RESULT_CASES])
def test_each_result_code_is_answered_for_its_case(expected, event):
    build_world()
    journal_before = selectors.ledger_head().transfers_count

    results = create_transfers(event, now=at(10))

    assert results == [expected]
    created = 1 if expected == "ok" else 0
    assert selectors.ledger_head().transfers_count == journal_before + created
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("expected", "event", "rule"), PRECEDENCE_CASES, ids=[c[2] for c in PRECEDENCE_CASES]
)
def test_the_first_applicable_result_in_precedence_order_is_answered(expected, event, rule):
    build_world()

    results = create_transfers(event, now=at(10))

    assert results == [expected], rule


@pytest.mark.django_db
def test_a_timeout_that_would_pass_the_end_of_time_overflows():
    build_world()
    far_future = at(175 * 365 * 86_400)  # year 2201: timestamp + u32 seconds passes 2**63

    results = create_transfers(transfer(11, 1, 3, 5, flags=P, timeout=U32_MAX), now=far_future)

    assert results == ["overflows_timeout"]


def test_every_transfer_result_code_has_a_case():
    covered = {c[0] for c in RESULT_CASES} | {
        "overflows_timeout",  # test_a_timeout_that_would_pass_the_end_of_time_overflows
        "linked_event_failed",  # test_services: linked chains
        "linked_event_chain_open",
    }

    assert covered == {str(r) for r in CreateTransferResult}


ACCOUNT_CASES = [
    ("ok", account(50)),
    ("reserved_flag", account(50, flags=1 << 9)),
    ("id_must_not_be_zero", account(0)),
    ("id_must_not_be_int_max", account(U128_MAX)),
    ("exists_with_different_flags", account(2)),
    ("exists_with_different_user_data_128", account(1, user_data_128=5)),
    ("exists_with_different_user_data_64", account(1, user_data_64=5)),
    ("exists_with_different_user_data_32", account(1, user_data_32=5)),
    ("exists_with_different_ledger", account(1, ledger=OTHER_LEDGER)),
    ("exists_with_different_code", account(1, code=2)),
    ("exists", account(1)),
    (
        "flags_are_mutually_exclusive",
        account(50, flags=AF.DEBITS_MUST_NOT_EXCEED_CREDITS | AF.CREDITS_MUST_NOT_EXCEED_DEBITS),
    ),
    ("ledger_must_not_be_zero", account(50, ledger=0)),
    ("code_must_not_be_zero", account(50, code=0)),
    # precedence: reserved_flag > id_must_not_be_zero; exists... > flags; ledger > code
    ("reserved_flag", account(0, flags=1 << 9)),
    ("exists_with_different_code", account(1, code=2, ledger=0 + 840)),
    ("ledger_must_not_be_zero", account(50, ledger=0, code=0)),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("expected", "event"), ACCOUNT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ACCOUNT_CASES)]
)
def test_each_create_accounts_result_code_is_answered_for_its_case(expected, event):
    build_world()

    results = create_accounts(event, now=at(10))

    assert results == [expected]
    assert (selectors.account_get(account_id=50) is not None) == (expected == "ok")


def test_every_account_result_code_has_a_case():
    covered = {c[0] for c in ACCOUNT_CASES} | {"linked_event_failed", "linked_event_chain_open"}

    assert covered == {str(r) for r in CreateAccountResult}
