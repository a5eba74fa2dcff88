"""Demo data: a small currency ledger (US dollars, ISO 4217 number 840) and an elder-care hours
ledger, with a few accounts and transfers, including a two-phase payment and a linked chain.
Idempotent: ids are fixed, so a second run answers `exists` everywhere and adds nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from minga.core.accountlist import DemoAccount

from . import selectors, services
from .domain import AccountEvent, AccountFlags, TransferEvent, TransferFlags

USD = 840
CARE_HOURS = 9001

LIMITED = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
PENDING = int(TransferFlags.PENDING)
POST = int(TransferFlags.POST_PENDING_TRANSFER)
VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
LINKED = int(TransferFlags.LINKED)

# Account codes: 1 treasury, 10 programme fund, 20 co-operative, 30 household care credits.
ACCOUNTS = [
    AccountEvent(id=840_001, ledger=USD, code=1),
    AccountEvent(id=840_002, ledger=USD, code=10, flags=LIMITED),
    AccountEvent(id=840_003, ledger=USD, code=20, flags=LIMITED),
    AccountEvent(id=840_004, ledger=USD, code=20, flags=LIMITED),
    AccountEvent(id=9001_001, ledger=CARE_HOURS, code=1),
    AccountEvent(id=9001_002, ledger=CARE_HOURS, code=30, flags=LIMITED),
    AccountEvent(id=9001_003, ledger=CARE_HOURS, code=30, flags=LIMITED),
    AccountEvent(id=9001_004, ledger=CARE_HOURS, code=30, flags=LIMITED),
    AccountEvent(id=9001_005, ledger=CARE_HOURS, code=20),
]


def _t(id_: int, dr: int, cr: int, amount: int, ledger: int, code: int, flags: int = 0) -> Any:
    return TransferEvent(
        id=id_,
        debit_account_id=dr,
        credit_account_id=cr,
        amount=amount,
        ledger=ledger,
        code=code,
        flags=flags,
    )


TRANSFERS = [
    # The treasury funds the care programme with USD 5,000.00.
    _t(1_840_001, 840_001, 840_002, 500_000, USD, 1),
    # The programme pays a co-operative USD 1,200.00 for its services.
    _t(1_840_002, 840_002, 840_003, 120_000, USD, 2),
    # A two-phase payment: USD 300.00 reserved, then USD 250.00 posted (the rest released).
    _t(1_840_003, 840_002, 840_004, 30_000, USD, 2, PENDING),
    TransferEvent(id=1_840_004, pending_id=1_840_003, amount=25_000, flags=POST),
    # A reservation that was voided.
    _t(1_840_005, 840_002, 840_003, 10_000, USD, 2, PENDING),
    TransferEvent(id=1_840_006, pending_id=1_840_005, flags=VOID),
    # Each household receives 20 care hours; linked: all three or none.
    _t(1_900_001, 9001_001, 9001_002, 20, CARE_HOURS, 1, LINKED),
    _t(1_900_002, 9001_001, 9001_003, 20, CARE_HOURS, 1, LINKED),
    _t(1_900_003, 9001_001, 9001_004, 20, CARE_HOURS, 1),
    # Households spend hours at the accredited co-operative.
    _t(1_900_004, 9001_002, 9001_005, 6, CARE_HOURS, 2),
    _t(1_900_005, 9001_003, 9001_005, 4, CARE_HOURS, 2),
]


def load(*, now: datetime) -> list[DemoAccount]:
    services.ledger_define(
        number=USD, name="Dólar estadounidense", unit="USD", scale=2, actor="demo", now=now
    )
    services.ledger_define(
        number=CARE_HOURS,
        name="Horas de cuidado a personas mayores",
        unit="horas",
        scale=0,
        actor="demo",
        now=now,
    )
    results = services.accounts_create(events=ACCOUNTS, actor="demo", now=now)
    assert set(results) <= {"ok", "exists"}, results
    results = services.transfers_create(events=TRANSFERS, actor="demo", now=now)
    # On a second run a linked chain answers exists for its first event and, as in TigerBeetle,
    # linked_event_failed for the rest (exists is not ok, so it breaks the chain); what matters
    # is that every demo transfer is in the ledger.
    assert set(results) <= {"ok", "exists", "linked_event_failed"}, results
    stored = selectors.transfers_get(transfer_ids=[t.id for t in TRANSFERS])
    assert len(stored) == len(TRANSFERS), results
    return []
