"""Test helpers: times, events and batches built through the real services."""

from datetime import UTC, datetime, timedelta

from minga.ledger import services
from minga.ledger.domain import AccountEvent, AccountFlags, TransferEvent, TransferFlags

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEDGER = 840
CODE = 1


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def account(id_, *, ledger=LEDGER, code=CODE, flags=0, **kw) -> AccountEvent:
    return AccountEvent(id=id_, ledger=ledger, code=code, flags=int(flags), **kw)


def transfer(id_, debit=0, credit=0, amount=0, *, ledger=LEDGER, code=CODE, flags=0, **kw):
    return TransferEvent(
        id=id_,
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        ledger=ledger,
        code=code,
        flags=int(flags),
        **kw,
    )


def post(id_, pending_id, amount=0, **kw) -> TransferEvent:
    return TransferEvent(
        id=id_,
        pending_id=pending_id,
        amount=amount,
        flags=int(TransferFlags.POST_PENDING_TRANSFER),
        **kw,
    )


def void(id_, pending_id, amount=0, **kw) -> TransferEvent:
    return TransferEvent(
        id=id_,
        pending_id=pending_id,
        amount=amount,
        flags=int(TransferFlags.VOID_PENDING_TRANSFER),
        **kw,
    )


def create_accounts(*events, now=T0):
    return services.accounts_create(events=list(events), now=now)


def create_transfers(*events, now=T0):
    return services.transfers_create(events=list(events), now=now)


def funded_pair(*, limit_debits=True, funding=100, now=T0):
    """Accounts 1 (a funding source, no limit) and 2, 3 (debits must not exceed credits), with
    `funding` moved from 1 to 2 as transfer 1000."""
    flags = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS if limit_debits else 0
    assert create_accounts(
        account(1), account(2, flags=flags), account(3, flags=flags), now=now
    ) == [
        "ok",
        "ok",
        "ok",
    ]
    if funding:
        assert create_transfers(transfer(1000, 1, 2, funding), now=now) == ["ok"]
