"""Rows read back as the ledger's state: account_from_row builds AccountState positionally, so
ACCOUNT_COLUMNS must stay in AccountState's field order."""

from dataclasses import fields

from minga.ledger.domain import AccountState, id_text
from minga.ledger.selectors import ACCOUNT_COLUMNS, account_from_row


def test_account_columns_are_the_state_fields_in_order():
    names = [f.name for f in fields(AccountState)]
    assert [c.strip() for c in ACCOUNT_COLUMNS.split(",")] == names[:12]


def test_account_from_row_reads_every_field_in_its_place():
    big = (1 << 127) + 5
    row = (id_text(big), 2, 3, 4, 5, 6, 7, 8, id_text(9), 10, 11, 12)
    assert account_from_row(row) == AccountState(
        id=big,
        ledger=2,
        code=3,
        flags=4,
        debits_pending=5,
        debits_posted=6,
        credits_pending=7,
        credits_posted=8,
        user_data_128=9,
        user_data_64=10,
        user_data_32=11,
        timestamp=12,
    )
