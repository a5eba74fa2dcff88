"""check_batch: the whole batch is checked a field at a time; a bad value is named by its index
and field, exactly as the one-by-one check names it."""

from dataclasses import replace

import pytest

from minga.ledger.domain import (
    U128_MAX,
    AccountEvent,
    InvalidEvent,
    TransferEvent,
    check_batch,
    id_text,
)


def transfers(n: int) -> list[TransferEvent]:
    return [
        TransferEvent(id=i + 1, debit_account_id=1, credit_account_id=2, amount=5, ledger=1, code=1)
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", -1, "must be between 0 and"),
        ("amount", True, "must be an integer"),
        ("amount", 5.0, "must be an integer"),
        ("amount", "5", "must be an integer"),
        ("id", U128_MAX + 1, "must be between 0 and"),
        ("ledger", 1 << 32, "must be between 0 and 4294967295"),
        ("code", False, "must be an integer"),
        ("user_data_32", None, "must be an integer"),
    ],
)
def test_a_bad_field_is_named_with_its_index(field, value, message):
    events = transfers(7)
    events[4] = replace(events[4], **{field: value})

    with pytest.raises(InvalidEvent, match=message) as refused:
        check_batch(events, "transfers")

    assert refused.value.field == f"[4].{field}"


def test_the_first_bad_event_is_named_when_several_are_bad():
    events = transfers(5)
    events[3] = replace(events[3], amount=-1)
    events[1] = replace(events[1], code=1 << 16)

    with pytest.raises(InvalidEvent) as refused:
        check_batch(events, "transfers")

    assert refused.value.field == "[1].code"


def test_an_event_of_the_wrong_kind_is_named():
    events: list[object] = [AccountEvent(id=1, ledger=1, code=1), *transfers(2)]

    with pytest.raises(InvalidEvent, match="must be a AccountEvent") as refused:
        check_batch(events, "accounts")

    assert refused.value.field == "[1].accounts"


def test_good_batches_pass_at_their_limits():
    check_batch([replace(e, id=U128_MAX, amount=(1 << 63) - 1) for e in transfers(1)], "transfers")
    check_batch([AccountEvent(id=1, ledger=1, code=1)] * 3, "accounts")


def test_id_text_is_zero_padded_decimal():
    assert id_text(0) == "0" * 39
    assert id_text(U128_MAX) == str(U128_MAX).zfill(39) == f"{U128_MAX:039d}"
    assert id_text(42) == f"{42:039d}"
