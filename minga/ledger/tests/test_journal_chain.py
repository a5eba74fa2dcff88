"""journal_chain: the batch path's hashing gives journal_hash's chain, and the decimal texts it
hands back make the stored ids (id_text) at every size of id; both are the documented hash."""

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from minga.ledger.domain import (
    GENESIS_HASH,
    ID_DIGITS,
    U128_MAX,
    StoredTransfer,
    id_text,
    journal_chain,
    journal_hash,
    transfer_canonical_bytes,
)

ids = st.integers(min_value=0, max_value=U128_MAX)
small = st.integers(min_value=0, max_value=(1 << 63) - 1)
transfers = st.builds(
    StoredTransfer,
    id=ids,
    debit_account_id=ids,
    credit_account_id=ids,
    amount=small,
    ledger=small,
    code=small,
    flags=small,
    pending_id=ids,
    timeout=small,
    user_data_128=ids,
    user_data_64=small,
    user_data_32=small,
    timestamp=small,
)


@given(st.lists(transfers, max_size=6))
def test_the_chain_is_journal_hash_chained_and_the_texts_pad_to_id_text(batch):
    prev = GENESIS_HASH
    for t, (chained, id_, debit, credit) in zip(
        batch, journal_chain(GENESIS_HASH, batch), strict=True
    ):
        prev = journal_hash(prev, t)
        assert chained == prev
        assert id_.zfill(ID_DIGITS) == id_text(t.id)
        assert debit.zfill(ID_DIGITS) == id_text(t.debit_account_id)
        assert credit.zfill(ID_DIGITS) == id_text(t.credit_account_id)


def test_the_canonical_bytes_and_the_hash_are_the_documented_ones():
    t = StoredTransfer(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)
    assert transfer_canonical_bytes(t) == b"1|2|3|4|5|6|7|8|9|10|11|12|13"
    # docs/ledger.md: sha256 of the previous hash, "|", and the canonical bytes, in hex.
    expected = hashlib.sha256(b"0" * 64 + b"|1|2|3|4|5|6|7|8|9|10|11|12|13").hexdigest()
    assert journal_hash(GENESIS_HASH, t) == expected
    assert next(journal_chain(GENESIS_HASH, [t]))[0] == expected
