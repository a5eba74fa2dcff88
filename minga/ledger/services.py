"""Writes of the ledger: `accounts_create`, `transfers_create` (TigerBeetle's create_accounts and
create_transfers), `pending_transfers_expire` and `ledger_define`.

Each batch runs in one transaction with one audit event. The write path, in order:
1. lock the journal head (SELECT ... FOR UPDATE): timestamps and the hash chain advance one
   batch at a time, so they stay strictly increasing and never fork;
2. read, with one query each, the transfers the batch names, the pending states it touches and
   the accounts it names (locked FOR UPDATE in id order on PostgreSQL);
3. decide every event in memory (domain.TransferMachine), in order, with linked chains;
4. write: the new transfers in one COPY (PostgreSQL) or executemany (SQLite), the pending states,
   one UPDATE for all touched accounts, the head, and the audit event.
Nothing is written for an event that failed, and a crash anywhere before COMMIT leaves nothing of
the batch behind (the database rolls the transaction back)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from minga.core.services import audit_record

from . import selectors
from .domain import (
    ACCOUNT_FLAGS_STORED,
    AR,
    F_PENDING,
    F_POST,
    F_VOID,
    GENESIS_HASH,
    AccountEvent,
    AccountState,
    Decision,
    PendingStatus,
    StoredTransfer,
    TransferEvent,
    TransferMachine,
    chain_spans,
    check_batch,
    decide_account,
    expire_pending,
    id_text,
    journal_hash,
)
from .models import Ledger, LedgerHead

__all__ = [
    "LedgerAlreadyDefined",
    "accounts_create",
    "ledger_define",
    "pending_transfers_expire",
    "transfers_create",
]

TRANSFER_INSERT_COLUMNS = (
    "id",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "ledger",
    "code",
    "flags",
    "pending_id",
    "timeout",
    "user_data_128",
    "user_data_64",
    "user_data_32",
    "timestamp",
    "hash",
)


# Up to this many rows, one pipelined INSERT beats COPY's extra round trips on PostgreSQL.
SMALL_BATCH = 16


class LedgerAlreadyDefined(Exception):
    """A ledger number is defined once; its name and unit are part of what auditors read."""


def _actor_label(actor: Any) -> Any:
    return actor if actor is not None else "system"


def _lock_head() -> LedgerHead:
    head, _created = LedgerHead.objects.select_for_update().get_or_create(
        id=1, defaults={"last_timestamp": 0, "last_hash": GENESIS_HASH}
    )
    return head


def _first_timestamp(head: LedgerHead, now: datetime) -> int:
    # Strictly increasing whatever the caller's clock does.
    return max(selectors.datetime_to_ns(now), head.last_timestamp + 1)


# ---------------------------------------------------------------------------------------------
# Accounts


def accounts_create(
    *, events: Sequence[AccountEvent], actor: Any = None, now: datetime
) -> list[str]:
    """Creates accounts; answers every event with a result code (domain.CreateAccountResult).
    Raises domain.InvalidEvent, before touching anything, for a field out of its type's range."""
    check_batch(events, "accounts")
    with transaction.atomic(durable=True):
        head = _lock_head()
        first_ts = _first_timestamp(head, now)
        existing = selectors.accounts_locked(e.id for e in events)
        n = len(events)
        results: list[str] = [AR.OK] * n
        created: dict[int, AccountState] = {}
        for start, end, is_open in chain_spans([e.flags for e in events]):
            chain: list[int] = []
            failed_at, failure = -1, AR.OK
            for i in range(start, end):
                e = events[i]
                if is_open and i == end - 1:
                    failed_at, failure = i, AR.LINKED_EVENT_CHAIN_OPEN
                    break
                code = decide_account(e, existing.get(e.id) or created.get(e.id))
                if code != AR.OK:
                    failed_at, failure = i, code
                    if end - start > 1 or is_open:
                        break
                    continue
                created[e.id] = AccountState(
                    id=e.id,
                    ledger=e.ledger,
                    code=e.code,
                    flags=e.flags & ACCOUNT_FLAGS_STORED,
                    debits_pending=0,
                    debits_posted=0,
                    credits_pending=0,
                    credits_posted=0,
                    user_data_128=e.user_data_128,
                    user_data_64=e.user_data_64,
                    user_data_32=e.user_data_32,
                    timestamp=first_ts + i,
                )
                chain.append(e.id)
            if failed_at < 0:
                continue
            if end - start == 1 and not is_open:
                results[failed_at] = failure
                continue
            for account_id in chain:
                del created[account_id]
            for i in range(start, end):
                results[i] = AR.LINKED_EVENT_FAILED
            results[failed_at] = failure
            if is_open:
                results[end - 1] = AR.LINKED_EVENT_CHAIN_OPEN
        if created:
            rows = [
                (
                    id_text(a.id),
                    a.ledger,
                    a.code,
                    a.flags,
                    0,
                    0,
                    0,
                    0,
                    id_text(a.user_data_128),
                    a.user_data_64,
                    a.user_data_32,
                    a.timestamp,
                )
                for a in sorted(created.values(), key=lambda a: a.timestamp)
            ]
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO ledger_account (id, ledger, code, flags, debits_pending, "
                    "debits_posted, credits_pending, credits_posted, user_data_128, "
                    "user_data_64, user_data_32, timestamp) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
            head.last_timestamp = first_ts + n - 1
            head.save(update_fields=["last_timestamp"])
            audit_record(
                actor=_actor_label(actor),
                action="ledger.accounts_create",
                object_type="ledger.account",
                object_id=str(min(created)),
                after={
                    "created": len(created),
                    "refused": sum(1 for r in results if r not in (AR.OK, AR.EXISTS)),
                    "exists": sum(1 for r in results if r == AR.EXISTS),
                    "ids_sha256": hashlib.sha256(
                        ",".join(str(i) for i in sorted(created)).encode("ascii")
                    ).hexdigest(),
                },
                now=now,
            )
    return results


# ---------------------------------------------------------------------------------------------
# Transfers


def transfers_create(
    *, events: Sequence[TransferEvent], actor: Any = None, now: datetime
) -> list[str]:
    """Creates transfers; answers every event with a result code (domain.CreateTransferResult),
    in the batch's order. `ok` and `exists` both mean the transfer is in the ledger. Raises
    domain.InvalidEvent, before touching anything, for a field out of its type's range."""
    check_batch(events, "transfers")
    with transaction.atomic(durable=True):
        head = _lock_head()
        first_ts = _first_timestamp(head, now)
        expired = selectors.pending_due(first_ts)
        wanted = {e.id for e in events}
        wanted.update(e.pending_id for e in events if e.pending_id)
        transfers = selectors.transfers_by_ids(wanted)
        referenced = {
            e.pending_id
            for e in events
            if e.flags & (F_POST | F_VOID) and e.pending_id in transfers
        }
        statuses = selectors.pending_statuses(
            p for p in referenced if transfers[p].flags & F_PENDING
        )
        account_ids: set[int] = set()
        for e in events:
            account_ids.add(e.debit_account_id)
            account_ids.add(e.credit_account_id)
        for pending_id in referenced:
            account_ids.add(transfers[pending_id].debit_account_id)
            account_ids.add(transfers[pending_id].credit_account_id)
        for due in expired:
            account_ids.add(due.debit_account_id)
            account_ids.add(due.credit_account_id)
        account_ids.discard(0)
        accounts = selectors.accounts_locked(account_ids)
        # Timed-out reservations are released before the batch is decided.
        expire_pending(accounts, expired)
        for due in expired:
            statuses[due.id] = PendingStatus.EXPIRED
        machine = TransferMachine(
            accounts=accounts,
            transfers=transfers,
            pending_status=statuses,
            first_timestamp=first_ts,
        )
        decision = machine.run(events)
        if decision.created or expired:
            _write(head, decision, expired, accounts, first_ts)
            audit_record(
                actor=_actor_label(actor),
                action="ledger.transfers_create",
                object_type="ledger.transfer",
                object_id=str(decision.created[0].id) if decision.created else "expiry",
                after={
                    "created": len(decision.created),
                    "refused": sum(1 for r in decision.results if r not in ("ok", "exists")),
                    "exists": sum(1 for r in decision.results if r == "exists"),
                    "expired": len(expired),
                    "first_timestamp": first_ts,
                    "journal_hash": head.last_hash,
                    "transfers_count": head.transfers_count,
                },
                now=now,
            )
    return decision.results


def pending_transfers_expire(*, actor: Any = None, now: datetime) -> int:
    """Releases the reservation of every pending transfer whose timeout has passed by `now`
    (create_transfers does this too, at the start of each batch). Returns how many expired."""
    with transaction.atomic(durable=True):
        head = _lock_head()
        through = _first_timestamp(head, now)
        expired = selectors.pending_due(through)
        if not expired:
            return 0
        account_ids = {p.debit_account_id for p in expired} | {p.credit_account_id for p in expired}
        accounts = selectors.accounts_locked(account_ids)
        expire_pending(accounts, expired)
        _write(head, Decision(results=[], last_timestamp=through), expired, accounts, through)
        audit_record(
            actor=_actor_label(actor),
            action="ledger.pending_transfers_expire",
            object_type="ledger.transfer",
            object_id="expiry",
            after={"expired": len(expired), "through": through},
            now=now,
        )
    return len(expired)


def _write(
    head: LedgerHead,
    decision: Decision,
    expired: Sequence[StoredTransfer],
    accounts: dict[int, AccountState],
    first_ts: int,
) -> None:
    created = decision.created
    prev = head.last_hash
    rows: list[tuple[Any, ...]] = []
    for t in created:
        prev = journal_hash(prev, t)
        rows.append(
            (
                id_text(t.id),
                id_text(t.debit_account_id),
                id_text(t.credit_account_id),
                t.amount,
                t.ledger,
                t.code,
                t.flags,
                id_text(t.pending_id),
                t.timeout,
                id_text(t.user_data_128),
                t.user_data_64,
                t.user_data_32,
                t.timestamp,
                prev,
            )
        )
    new_pending = [
        (id_text(t.id), decision.resolved.get(t.id, PendingStatus.PENDING), t.expires_at)
        for t in created
        if t.flags & F_PENDING
    ]
    new_ids = {t.id for t in created}
    status_updates = [
        (status, id_text(pid)) for pid, status in decision.resolved.items() if pid not in new_ids
    ]
    status_updates += [(PendingStatus.EXPIRED, id_text(p.id)) for p in expired]
    touched = [a for a in accounts.values() if a.touched]
    for a in touched:
        # No balance below zero, and none past its own limit: the database says it again.
        assert min(a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted) >= 0
    if created:
        head.last_hash = prev
        head.transfers_count += len(created)
    head.last_timestamp = max(head.last_timestamp, decision.last_timestamp, first_ts)
    head.expired_through = max(head.expired_through, first_ts)
    head_sql = (
        "UPDATE ledger_ledgerhead SET last_hash = %s, transfers_count = %s, "
        "last_timestamp = %s, expired_through = %s WHERE id = 1"
    )
    head_params: list[Any] = [
        head.last_hash,
        head.transfers_count,
        head.last_timestamp,
        head.expired_through,
    ]
    insert_transfers = (
        f"INSERT INTO ledger_transfer ({', '.join(TRANSFER_INSERT_COLUMNS)}) "  # noqa: S608 - fixed columns
        f"VALUES ({', '.join(['%s'] * len(TRANSFER_INSERT_COLUMNS))})"
    )
    insert_pending = (
        "INSERT INTO ledger_pendingtransfer (transfer_id, status, expires_at) VALUES (%s, %s, %s)"
    )
    update_status = "UPDATE ledger_pendingtransfer SET status = %s WHERE transfer_id = %s"
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            if rows:
                cursor.executemany(insert_transfers, rows)
            if new_pending:
                cursor.executemany(insert_pending, new_pending)
            if status_updates:
                cursor.executemany(update_status, status_updates)
            _write_balances(cursor, touched, postgres=False)
            cursor.execute(head_sql, head_params)
        return
    raw = connection.connection
    with raw.cursor() as cursor:
        if len(rows) > SMALL_BATCH:
            columns = ", ".join(TRANSFER_INSERT_COLUMNS)
            with cursor.copy(f"COPY ledger_transfer ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            rows = []
        # The remaining statements need no answer before the next one: one round trip.
        with raw.pipeline():
            if rows:
                cursor.executemany(insert_transfers, rows)
            if new_pending:
                cursor.executemany(insert_pending, new_pending)
            if status_updates:
                cursor.executemany(update_status, status_updates)
            with raw.cursor() as balances:
                _write_balances(balances, touched, postgres=True)
                cursor.execute(head_sql, head_params)
        if touched:
            assert balances.rowcount == len(touched), "every touched account is updated once"


def _write_balances(cursor: Any, touched: list[AccountState], postgres: bool) -> None:
    """One statement for all touched accounts on PostgreSQL (an UPDATE joined to unnest()ed
    arrays); a prepared UPDATE run once per account on SQLite."""
    if not touched:
        return
    if postgres:
        columns = (
            [id_text(a.id) for a in touched],
            [str(a.flags) for a in touched],
            [str(a.debits_pending) for a in touched],
            [str(a.debits_posted) for a in touched],
            [str(a.credits_pending) for a in touched],
            [str(a.credits_posted) for a in touched],
        )
        # Each column travels as one comma-separated text, split by the server.
        cursor.execute(
            "UPDATE ledger_account AS a SET flags = v.flags, debits_pending = v.dp, "
            "debits_posted = v.dpo, credits_pending = v.cp, credits_posted = v.cpo "
            "FROM unnest(string_to_array(%s, ','), string_to_array(%s, ',')::integer[], "
            "string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bigint[], "
            "string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bigint[]) "
            "AS v(id, flags, dp, dpo, cp, cpo) WHERE a.id = v.id",
            [",".join(column) for column in columns],
        )
    else:
        cursor.executemany(
            "UPDATE ledger_account SET flags = %s, debits_pending = %s, debits_posted = %s, "
            "credits_pending = %s, credits_posted = %s WHERE id = %s",
            [
                (
                    a.flags,
                    a.debits_pending,
                    a.debits_posted,
                    a.credits_pending,
                    a.credits_posted,
                    id_text(a.id),
                )
                for a in touched
            ],
        )


# ---------------------------------------------------------------------------------------------
# Ledgers


def ledger_define(
    *, number: int, name: str, unit: str, scale: int, actor: Any = None, now: datetime
) -> Ledger:
    """Names a ledger number (its asset). Defined once: redefining the same is a no-op that
    returns it; a different definition raises LedgerAlreadyDefined."""
    if not 1 <= number <= 4294967295:
        raise ValueError("number: must be between 1 and 4294967295")
    if not name.strip():
        raise ValueError("name: must not be empty")
    if not unit.strip():
        raise ValueError("unit: must not be empty")
    if not 0 <= scale <= 18:
        raise ValueError("scale: must be between 0 and 18")
    with transaction.atomic(durable=True):
        existing = Ledger.objects.select_for_update().filter(number=number).first()
        if existing is not None:
            if (existing.name, existing.unit, existing.scale) != (name, unit, scale):
                raise LedgerAlreadyDefined(
                    f"ledger {number} is already defined as {existing.name!r} ({existing.unit})"
                )
            return existing
        ledger = Ledger.objects.create(
            number=number, name=name, unit=unit, scale=scale, created_at=now
        )
        audit_record(
            actor=_actor_label(actor),
            action="ledger.ledger_define",
            object_type="ledger.ledger",
            object_id=number,
            after={"name": name, "unit": unit, "scale": scale},
            now=now,
        )
    return ledger
