"""Reads of the ledger: lookups, an account's transfers and its balances at a point in time,
ledger totals, the journal, and the auditor's verification (of the database, or of an exported
journal on its own)."""

from __future__ import annotations

import heapq
import json
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
import psycopg.generators
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.models import Count, Max, Sum

from .domain import (
    A_CLOSED,
    ACCOUNT_FLAG_NAMES,
    F_CLOSING_CREDIT,
    F_CLOSING_DEBIT,
    F_PENDING,
    F_POST,
    F_VOID,
    GENESIS_HASH,
    TRANSFER_FLAG_NAMES,
    AccountState,
    PendingStatus,
    StoredTransfer,
    flag_names,
    id_text,
    journal_hash,
)
from .models import Account, Ledger, LedgerHead, PendingTransfer, Transfer

TRANSFER_COLUMNS = (
    "id, debit_account_id, credit_account_id, amount, ledger, code, flags, pending_id, timeout, "
    "user_data_128, user_data_64, user_data_32, timestamp"
)
ACCOUNT_COLUMNS = (
    "id, ledger, code, flags, debits_pending, debits_posted, credits_pending, credits_posted, "
    "user_data_128, user_data_64, user_data_32, timestamp"
)


def ns_to_datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).replace(
        microsecond=(ns % 1_000_000_000) // 1000
    )


def datetime_to_ns(at: datetime) -> int:
    assert at.tzinfo is not None, "ledger times are timezone-aware"
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def transfer_from_row(row: tuple[Any, ...]) -> StoredTransfer:
    return StoredTransfer(
        id=int(row[0]),
        debit_account_id=int(row[1]),
        credit_account_id=int(row[2]),
        amount=row[3],
        ledger=row[4],
        code=row[5],
        flags=row[6],
        pending_id=int(row[7]),
        timeout=row[8],
        user_data_128=int(row[9]),
        user_data_64=row[10],
        user_data_32=row[11],
        timestamp=row[12],
    )


def account_from_row(row: tuple[Any, ...]) -> AccountState:
    # Positional (ACCOUNT_COLUMNS is AccountState's field order): a batch reads 8,190 of them,
    # and keywords cost a third more.
    return AccountState(
        int(row[0]),
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        int(row[8]),
        row[9],
        row[10],
        row[11],
    )


def _in_list(column: str, texts: Sequence[str]) -> str:
    """A membership test against one list of ids (sorted zero-padded texts; its parameter:
    _list_param): an array on PostgreSQL, a JSON array on SQLite (one bound parameter however
    long the batch)."""
    if connection.vendor == "postgresql":
        # One text parameter split by the server: binding an array of 16,000 strings costs
        # more client time than the query itself. The bounds let a batch of neighbouring ids
        # be read as a few ranges of the index (id_bounds).
        bounds = id_bounds(column, map(int, texts))
        return f"({bounds}) AND {column} = ANY(string_to_array(%s, ','))"
    return f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - column names are fixed


def _list_param(texts: list[str]) -> str:
    return ",".join(texts) if connection.vendor == "postgresql" else json.dumps(texts)


# At most this many ranges bound a list of ids (id_bounds).
ID_RANGES = 8


def id_ranges(ids: Iterable[int]) -> list[tuple[int, int]]:
    """Ids as at most ID_RANGES ranges (lowest, highest) that hold them all, in order, split
    at the largest gaps between neighbours: a monthly issuance's batch (one fund account far
    from thousands of neighbouring wallets) becomes two tight ranges."""
    numbers = sorted(set(ids))
    if len(numbers) <= ID_RANGES:
        return [(n, n) for n in numbers]
    gaps = list(map(operator.sub, numbers[1:], numbers))  # gaps[i]: after numbers[i]
    cuts = sorted(heapq.nlargest(ID_RANGES - 1, range(len(gaps)), key=gaps.__getitem__))
    starts, ends = [0, *(c + 1 for c in cuts)], [*cuts, len(numbers) - 1]
    return [(numbers[a], numbers[b]) for a, b in zip(starts, ends, strict=True)]


def id_bounds(column: str, ids: Iterable[int]) -> str:
    """SQL that bounds `column` to id_ranges(ids), for a statement that also tests membership
    (PostgreSQL). Ids are zero-padded, so text order is number order; their texts are digits
    only, so they are written in as literals. Without bounds the planner may join a long list
    by scanning the whole account table (updating 8,190 of 200,000 balances: 107 ms against
    27 ms with them); a single range from the lowest id to the highest would span most of the
    table for a batch holding one far account."""
    return " OR ".join(
        f"{column} BETWEEN '{id_text(lo)}' AND '{id_text(hi)}'" for lo, hi in id_ranges(ids)
    )


# ---------------------------------------------------------------------------------------------
# State for the write path (called by services inside their transaction, after the head lock)


def accounts_locked(ids: Iterable[int]) -> dict[int, AccountState]:
    """The accounts with these ids, locked FOR UPDATE in id order on PostgreSQL (a fixed order,
    so two writers never deadlock). SQLite has one writer at a time already."""
    texts = sorted({id_text(i) for i in ids})
    if not texts:
        return {}
    lock = " ORDER BY id FOR UPDATE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {ACCOUNT_COLUMNS} FROM ledger_account WHERE {_in_list('id', texts)}{lock}",  # noqa: S608 - fixed column list
            [_list_param(texts)],
        )
        return {int(r[0]): account_from_row(r) for r in cursor.fetchall()}


def transfers_by_ids(ids: Iterable[int]) -> dict[int, StoredTransfer]:
    texts = sorted({id_text(i) for i in ids})
    if not texts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {TRANSFER_COLUMNS} FROM ledger_transfer WHERE {_in_list('id', texts)}",  # noqa: S608 - fixed column list
            [_list_param(texts)],
        )
        return {int(r[0]): transfer_from_row(r) for r in cursor.fetchall()}


def pending_statuses(ids: Iterable[int]) -> dict[int, int]:
    texts = sorted({id_text(i) for i in ids})
    if not texts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT transfer_id, status FROM ledger_pendingtransfer "  # noqa: S608 - fixed SQL
            f"WHERE {_in_list('transfer_id', texts)}",
            [_list_param(texts)],
        )
        return {int(r[0]): r[1] for r in cursor.fetchall()}


@dataclass(frozen=True)
class Many:
    """One statement run once per row (executemany): SQLite's fastest way to write many rows."""

    sql: str
    rows: Sequence[Sequence[Any]]


Statement = tuple[str, list[Any]] | Many


def run_together(
    statements: Sequence[Statement], *, then_commit: bool = False
) -> list[list[tuple[Any, ...]]]:
    """Runs the statements in order in the caller's transaction and returns each one's rows
    (an empty list for a statement that returns none). On PostgreSQL they travel in one round
    trip (psycopg's pipeline mode); SQLite runs them one after the other in process.

    `then_commit` (PostgreSQL) sends the COMMIT in the same round trip: for the last statements
    of a transaction.atomic block, whose own commit then finds nothing left to do (psycopg's
    commit outside a transaction is a no-op). A writer holding a serialising lock saves a round
    trip of holding it that way."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        # Django's psycopg cursors bind parameters on the client: statements joined by ";"
        # go as one simple query, one message each way, and nextset() walks their results.
        assert not any(isinstance(st, Many) for st in statements), "SQLite only"
        sql = ";\n".join(statement for statement, _params in statements)  # type: ignore[misc]
        if then_commit and len(connection.atomic_blocks) <= 1:
            # Only from the outermost block (or a transaction opened by hand outside any):
            # inside another block (a test's, say) it would commit that one.
            sql += ";\nCOMMIT"
        params = [p for _statement, statement_params in statements for p in statement_params]  # type: ignore[misc]
        rows: list[list[tuple[Any, ...]]] = []
        # Django's error classes (IntegrityError, ...), with psycopg's error as the cause.
        with connection.wrap_database_errors, connection.connection.cursor() as cur:
            cur.execute(sql, params)
            for _ in statements:
                rows.append(cur.fetchall() if cur.description else [])
                cur.nextset()
        return rows
    out: list[list[tuple[Any, ...]]] = []
    with connection.cursor() as cursor:
        for statement in statements:
            if isinstance(statement, Many):
                cursor.executemany(statement.sql, statement.rows)
                out.append([])
                continue
            cursor.execute(*statement)
            out.append(list(cursor.fetchall()) if cursor.description else [])
    return out


def raw_connection(db: Any = None) -> Any:
    """The open psycopg connection under Django's (PostgreSQL), checked and opened as Django's
    own cursors do (the health check, when CONN_HEALTH_CHECKS is on, runs once per request)."""
    db = db or connections[DEFAULT_DB_ALIAS]
    db.close_if_health_check_failed()
    if db.connection is None:
        db.ensure_connection()
    assert db.vendor == "postgresql"
    return db.connection


class Literal:
    """SQL literals for a statement sent with its values written in (run_literal_sql): the
    connection's own escaping (libpq's PQescapeLiteral) for text, and array literals of values
    that need no quoting inside one."""

    def __init__(self) -> None:
        self._escaping = psycopg.pq.Escaping(raw_connection().pgconn)

    def text(self, value: str | None) -> str:
        if value is None:
            return "NULL"
        return bytes(self._escaping.escape_literal(value.encode())).decode()

    @staticmethod
    def plain_array(values: Iterable[int | str], cast: str) -> str:
        """Numbers, or strings of digits and "|" (nothing an array literal must quote)."""
        return "'{" + ",".join(map(str, values)) + "}'::" + cast

    def text_array(self, values: Iterable[str]) -> str:
        quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        return self.text("{" + ",".join(quoted) + "}") + "::text[]"

    @staticmethod
    def timestamp(value: datetime) -> str:
        assert value.tzinfo is not None, "an aware datetime"
        return f"'{value.isoformat()}'::timestamptz"

    def statement(self, statement: Statement) -> str:
        """A statement of this module (`%s` placeholders) with its values written in: texts
        escaped as `text` does, integers as numbers, None as NULL; any other type raises."""
        assert not isinstance(statement, Many), "SQLite only"
        sql, params = statement
        if not params:
            return sql
        assert "%%" not in sql, "a statement with a literal % is not written in here"
        values = []
        for value in params:
            if value is None or isinstance(value, str):
                values.append(self.text(value))
            elif type(value) is int:
                # In parentheses when negative: `-7::text` would cast 7, then negate a text.
                values.append(str(value) if value >= 0 else f"({value})")
            else:
                raise TypeError(f"no literal for {type(value).__name__} here")
        return sql % tuple(values)


def run_literal_sql(sql: str) -> list[list[tuple[bytes | None, ...]]]:
    """PostgreSQL: runs statements joined by ";", every value written in as a literal (see
    Literal), as one simple query straight through libpq, and returns each statement's rows as
    the server's text (bytes; None for NULL). For the two statements a writer sends for every
    single transfer, where building the same text through a cursor's parameter binding and
    reading rows back through it cost the client more than the rest of its work. A failure is
    raised as Django's error class (IntegrityError, ...) with psycopg's as the cause, as a
    cursor would, once the server has answered every statement."""
    literal_send(sql)
    rows, error = literal_receive()
    if error is not None:
        raise error
    return rows


def literal_send(sql: str) -> None:
    """run_literal_sql in two halves: sends the statements and returns as soon as they are on
    their way, so that the caller computes while the server works; literal_receive() then waits
    for the answers. Nothing else may use the connection in between (psycopg refuses a second
    query while one is in flight)."""
    db = connections[DEFAULT_DB_ALIAS]
    raw = raw_connection(db)
    with db.wrap_database_errors:
        raw.pgconn.send_query(sql.encode())
        raw.wait(psycopg.generators.send(raw.pgconn))


def literal_receive() -> tuple[list[list[tuple[bytes | None, ...]]], DatabaseError | None]:
    """The answers to what literal_send sent: the rows of each statement that ran, as the
    server's text, and the failure that stopped the rest (Django's error class, with psycopg's
    as its cause), or None. The server runs nothing after a failed statement: the index of the
    failed one is the number of row lists."""
    db = connections[DEFAULT_DB_ALIAS]
    raw = db.connection
    rows: list[list[tuple[bytes | None, ...]]] = []
    with db.wrap_database_errors:
        results = raw.wait(psycopg.generators.fetch_many(raw.pgconn))
    for result in results:
        if result.status == psycopg.pq.ExecStatus.TUPLES_OK:
            width = result.nfields
            rows.append(
                [tuple(result.get_value(i, j) for j in range(width)) for i in range(result.ntuples)]
            )
        elif result.status == psycopg.pq.ExecStatus.COMMAND_OK:
            rows.append([])
        else:
            try:
                with db.wrap_database_errors:
                    raise psycopg.errors.error_from_result(result, encoding=raw.info.encoding)
            except DatabaseError as error:
                return rows, error
    return rows, None


def _for_update() -> str:
    return " FOR UPDATE" if connection.vendor == "postgresql" else ""


def accounts_lock_sql(ids: Iterable[int]) -> Statement | None:
    """Locks the accounts with these ids in id order (a fixed order, so two writers never
    deadlock) and returns them; SQLite has one writer at a time already."""
    texts = sorted({id_text(i) for i in ids})
    if not texts:
        return None
    order = " ORDER BY id FOR UPDATE" if connection.vendor == "postgresql" else ""
    return (
        f"SELECT {ACCOUNT_COLUMNS} FROM ledger_account WHERE {_in_list('id', texts)}{order}",  # noqa: S608 - fixed SQL
        [_list_param(texts)],
    )


def transfers_sql(ids: Iterable[int]) -> Statement | None:
    texts = sorted({id_text(i) for i in ids})
    if not texts:
        return None
    return (
        f"SELECT {TRANSFER_COLUMNS} FROM ledger_transfer WHERE {_in_list('id', texts)}",  # noqa: S608 - fixed SQL
        [_list_param(texts)],
    )


def pending_statuses_sql(ids: Iterable[int]) -> Statement | None:
    texts = sorted({id_text(i) for i in ids})
    if not texts:
        return None
    return (
        "SELECT transfer_id, status FROM ledger_pendingtransfer "  # noqa: S608 - fixed SQL
        f"WHERE {_in_list('transfer_id', texts)}",
        [_list_param(texts)],
    )


def pending_due_sql(through: int) -> Statement:
    """Pending transfers still pending whose timeout has passed by `through` (ns)."""
    cols = ", ".join(f"t.{c.strip()}" for c in TRANSFER_COLUMNS.split(","))
    return (
        f"SELECT {cols} FROM ledger_pendingtransfer p "  # noqa: S608 - fixed SQL
        "JOIN ledger_transfer t ON t.id = p.transfer_id "
        "WHERE p.status = %s AND p.expires_at IS NOT NULL AND p.expires_at <= %s "
        "ORDER BY t.timestamp",
        [PendingStatus.PENDING, through],
    )


@dataclass
class HeadState:
    last_timestamp: int
    last_hash: str
    transfers_count: int
    expired_through: int
    next_expiry: int | None


def head_lock_sql() -> Statement:
    return (
        "SELECT last_timestamp, last_hash, transfers_count, expired_through, next_expiry "  # noqa: S608 - fixed SQL
        f"FROM ledger_ledgerhead WHERE id = 1{_for_update()}",
        [],
    )


def head_from_rows(rows: list[tuple[Any, ...]]) -> HeadState | None:
    return HeadState(*rows[0]) if rows else None


def pending_due(through: int) -> list[StoredTransfer]:
    """Pending transfers still pending whose timeout has passed by `through` (ns)."""
    cols = ", ".join(f"t.{c.strip()}" for c in TRANSFER_COLUMNS.split(","))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols} FROM ledger_pendingtransfer p "  # noqa: S608 - fixed SQL
            "JOIN ledger_transfer t ON t.id = p.transfer_id "
            "WHERE p.status = %s AND p.expires_at IS NOT NULL AND p.expires_at <= %s "
            "ORDER BY t.timestamp",
            [PendingStatus.PENDING, through],
        )
        return [transfer_from_row(r) for r in cursor.fetchall()]


def ledger_head() -> LedgerHead | None:
    return LedgerHead.objects.filter(id=1).first()


# ---------------------------------------------------------------------------------------------
# Lookups


def account_get(*, account_id: int) -> AccountState | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {ACCOUNT_COLUMNS} FROM ledger_account WHERE id = %s",  # noqa: S608 - fixed SQL
            [id_text(account_id)],
        )
        row = cursor.fetchone()
    return None if row is None else account_from_row(row)


def accounts_get(*, account_ids: Iterable[int]) -> dict[int, AccountState]:
    texts = sorted({id_text(i) for i in account_ids})
    if not texts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {ACCOUNT_COLUMNS} FROM ledger_account WHERE {_in_list('id', texts)}",  # noqa: S608 - fixed SQL
            [_list_param(texts)],
        )
        return {int(r[0]): account_from_row(r) for r in cursor.fetchall()}


def transfer_get(*, transfer_id: int) -> StoredTransfer | None:
    found = transfers_by_ids([transfer_id])
    return found.get(transfer_id)


def transfers_get(*, transfer_ids: Iterable[int]) -> dict[int, StoredTransfer]:
    return transfers_by_ids(transfer_ids)


def transfer_hash(*, transfer_id: int) -> str | None:
    return Transfer.objects.filter(id=id_text(transfer_id)).values_list("hash", flat=True).first()


def pending_status_get(*, transfer_id: int) -> int | None:
    return (
        PendingTransfer.objects.filter(transfer_id=id_text(transfer_id))
        .values_list("status", flat=True)
        .first()
    )


@dataclass(frozen=True)
class TransferPage:
    transfers: list[StoredTransfer]
    next_after: int | None  # the timestamp to pass as `after` for the next page


def account_transfers(
    *, account_id: int, after: int = 0, limit: int = 50, reverse: bool = False
) -> TransferPage:
    """The account's transfers (as debit or credit side) in time order, a page at a time: pass
    the page's `next_after` as `after` for the next one (keyset pagination, stable under
    writes). With `reverse`, newest first and `after` is an upper bound (0: from the newest)."""
    assert 1 <= limit <= 1000
    key = id_text(account_id)
    if reverse:
        bound = "t.timestamp < %s" if after else "t.timestamp >= %s"
        order = "DESC"
    else:
        bound, order = "t.timestamp > %s", "ASC"
    cols = ", ".join(f"t.{c.strip()}" for c in TRANSFER_COLUMNS.split(","))
    # Two index range scans (debit side, credit side) merged: each uses its (account, ts) index.
    sql = (
        f"SELECT {cols} FROM ("  # noqa: S608 - fixed SQL
        f" SELECT * FROM (SELECT * FROM ledger_transfer t WHERE t.debit_account_id = %s AND"
        f" {bound} ORDER BY t.timestamp {order} LIMIT %s) d"
        f" UNION ALL"
        f" SELECT * FROM (SELECT * FROM ledger_transfer t WHERE t.credit_account_id = %s AND"
        f" {bound} ORDER BY t.timestamp {order} LIMIT %s) c"
        f") t ORDER BY t.timestamp {order} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, after, limit + 1, key, after, limit + 1, limit + 1])
        rows = [transfer_from_row(r) for r in cursor.fetchall()]
    more = len(rows) > limit
    rows = rows[:limit]
    return TransferPage(rows, rows[-1].timestamp if more and rows else None)


@dataclass(frozen=True)
class Balances:
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int


def balances_by_code(*, ledger: int, code: int) -> Balances:
    """The sums of the four balances over the ledger's accounts that carry `code`, in one
    query (a million accounts are summed by the database, not read one by one)."""
    sums = Account.objects.filter(ledger=ledger, code=code).aggregate(
        dp=Sum("debits_pending"),
        dpo=Sum("debits_posted"),
        cp=Sum("credits_pending"),
        cpo=Sum("credits_posted"),
    )
    return Balances(
        int(sums["dp"] or 0), int(sums["dpo"] or 0), int(sums["cp"] or 0), int(sums["cpo"] or 0)
    )


def account_balances_at(*, account_id: int, timestamp: int) -> Balances:
    """The account's four balances as they stood at `timestamp` (ns), from its transfers: a
    pending transfer counts while it is neither posted, voided nor past its timeout by then."""
    key = id_text(account_id)
    qs = Transfer.objects.filter(timestamp__lte=timestamp)
    debits = list(qs.filter(debit_account_id=key).values_list(*_BALANCE_FIELDS))
    credits = list(qs.filter(credit_account_id=key).values_list(*_BALANCE_FIELDS))
    resolved_ids = {
        pid
        for (pid,) in qs.filter(
            pending_id__in=[id_text(int(r[0])) for r in debits + credits if r[2] & F_PENDING]
        )
        .exclude(pending_id=id_text(0))
        .values_list("pending_id")
    }
    sums = [0, 0, 0, 0]
    for side, rows in ((0, debits), (2, credits)):
        for tid, amount, flags, ts, timeout in rows:
            if flags & F_PENDING:
                expired = timeout and ts + timeout * 1_000_000_000 <= timestamp
                if tid not in resolved_ids and not expired:
                    sums[side] += amount
            else:
                sums[side + 1] += amount
    return Balances(*sums)


_BALANCE_FIELDS = ("id", "amount", "flags", "timestamp", "timeout")


# ---------------------------------------------------------------------------------------------
# Public pages and open data


@dataclass(frozen=True)
class LedgerTotals:
    number: int
    name: str
    unit: str
    scale: int
    accounts: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    transfers: int
    last_transfer_id: int | None
    last_transfer_hash: str | None


@dataclass
class _Counted:
    """Transfers counted per ledger up to the journal entry at `through` (a timestamp), whose
    chained hash is `hash`: the chain fixes every entry before it, so the counts hold for as
    long as that entry is in the journal with that hash."""

    through: int = -1
    hash: str = ""
    counts: dict[int, int] = field(default_factory=dict)
    # ledger -> (timestamp, id, hash) of its last transfer
    last: dict[int, tuple[int, str, str]] = field(default_factory=dict)


# Part of the cache key: a shared cache (a database table) outlives a deployment, so a change
# to _Counted's fields must come with a new version.
_COUNTED_VERSION = 1


def _counted_key() -> str:
    db = connections[DEFAULT_DB_ALIAS]
    return (
        f"minga.ledger.transfers_counted.v{_COUNTED_VERSION}:{db.vendor}:{db.settings_dict['NAME']}"
    )


def transfers_counted() -> _Counted:
    """Transfers per ledger and the last of each, counted once and then only from where the
    previous count stopped: the public index would otherwise count the whole journal on every
    view (seconds at millions of transfers). Exact: the journal is append-only, and every
    transfer up to the head's last timestamp is committed with the head, so the transfers above
    the count's last one and up to the head's timestamp are exactly what is new; the sum must
    equal the head's own count. A count whose last entry is no longer in the journal with its
    hash (a restored backup, a test's rollback) or that does not add up is made again from
    every row. Kept in Django's cache, so processes that share a cache share the count."""
    head = LedgerHead.objects.filter(id=1).values_list("last_timestamp", "transfers_count").first()
    through, total = head if head else (0, 0)
    key = _counted_key()
    cached = cache.get(key)
    kept = cached if isinstance(cached, _Counted) else None
    counted = kept
    if counted is not None:
        still = Transfer.objects.filter(timestamp=counted.through).values_list("hash", flat=True)
        if list(still) != [counted.hash]:
            counted = None
    if counted is not None:
        counted = _counted_past(counted, through)
        if sum(counted.counts.values()) != total:
            counted = None
    if counted is None:
        # Every row, which is what the page shows even if the head disagreed with them (the
        # `verify` command is what reports that).
        counted = _counted_past(_Counted(), through)
    if counted is not kept:  # nothing new: no write (the cache may be a database table)
        cache.set(key, counted, timeout=None)
    return counted


def _counted_past(counted: _Counted, through: int) -> _Counted:
    """`counted` plus the transfers after it, up to the timestamp `through`."""
    new = list(
        Transfer.objects.filter(timestamp__gt=counted.through, timestamp__lte=through)
        .values("ledger")
        .annotate(n=Count("id"), last=Max("timestamp"))
        .values_list("ledger", "n", "last")
        .order_by()
    )
    if not new:
        return counted
    rows = {
        ts: (id_, hash_)
        for ts, id_, hash_ in Transfer.objects.filter(
            timestamp__in=[last for _ledger, _n, last in new]
        ).values_list("timestamp", "id", "hash")
    }
    counts = dict(counted.counts)
    last = dict(counted.last)
    for ledger, n, ts in new:
        counts[ledger] = counts.get(ledger, 0) + n
        last[ledger] = (ts, *rows[ts])
    top = max(ts for _ledger, _n, ts in new)
    return _Counted(through=top, hash=rows[top][1], counts=counts, last=last)


def ledgers_totals() -> list[LedgerTotals]:
    """Every ledger that is defined or has accounts, with its totals (one row each)."""
    meta = {ledger.number: ledger for ledger in Ledger.objects.all()}
    sums: dict[int, dict[str, Any]] = {
        row["ledger"]: dict(row)
        for row in Account.objects.values("ledger").annotate(
            n=Count("id"),
            dp=Sum("debits_pending"),
            dpo=Sum("debits_posted"),
            cp=Sum("credits_pending"),
            cpo=Sum("credits_posted"),
        )
    }
    counted = transfers_counted()
    out = []
    for number in sorted(set(meta) | set(sums)):
        m = meta.get(number)
        s: dict[str, Any] = sums.get(number, {})
        last = counted.last.get(number)
        out.append(
            LedgerTotals(
                number=number,
                name=m.name if m else "",
                unit=m.unit if m else "",
                scale=m.scale if m else 0,
                accounts=s.get("n", 0) or 0,
                debits_pending=s.get("dp", 0) or 0,
                debits_posted=s.get("dpo", 0) or 0,
                credits_pending=s.get("cp", 0) or 0,
                credits_posted=s.get("cpo", 0) or 0,
                transfers=counted.counts.get(number, 0),
                last_transfer_id=int(last[1]) if last else None,
                last_transfer_hash=last[2] if last else None,
            )
        )
    return out


def ledger_totals(*, number: int) -> LedgerTotals | None:
    for totals in ledgers_totals():
        if totals.number == number:
            return totals
    return None


@dataclass(frozen=True)
class AccountPage:
    accounts: list[AccountState]
    next_after: int | None


def ledger_accounts(*, number: int, after: int = 0, limit: int = 50) -> AccountPage:
    assert 1 <= limit <= 1000
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {ACCOUNT_COLUMNS} FROM ledger_account "  # noqa: S608 - fixed SQL
            "WHERE ledger = %s AND id > %s ORDER BY id LIMIT %s",
            [number, id_text(after) if after else "", limit + 1],
        )
        rows = [account_from_row(r) for r in cursor.fetchall()]
    more = len(rows) > limit
    rows = rows[:limit]
    return AccountPage(rows, rows[-1].id if more and rows else None)


@dataclass(frozen=True)
class JournalEntry:
    transfer: StoredTransfer
    hash: str


@dataclass(frozen=True)
class JournalPage:
    entries: list[JournalEntry]
    next_after: int | None


def journal_page(*, after: int = 0, limit: int = 50, ledger: int | None = None) -> JournalPage:
    assert 1 <= limit <= 1000
    qs = Transfer.objects.filter(timestamp__gt=after).order_by("timestamp")
    if ledger is not None:
        qs = qs.filter(ledger=ledger)
    cols = [c.strip() for c in TRANSFER_COLUMNS.split(",")]
    rows = list(qs.values_list(*cols, "hash")[: limit + 1])
    entries = [JournalEntry(transfer_from_row(r[:-1]), r[-1]) for r in rows]
    more = len(entries) > limit
    entries = entries[:limit]
    return JournalPage(entries, entries[-1].transfer.timestamp if more and entries else None)


def ledger_ledgers_open_rows() -> Iterator[dict[str, object]]:
    """Open data: one row per ledger with its totals (no account is named)."""
    for t in ledgers_totals():
        yield {
            "ledger": t.number,
            "name": t.name,
            "unit": t.unit,
            "scale": t.scale,
            "accounts": t.accounts,
            "transfers": t.transfers,
            "debits_posted": t.debits_posted,
            "credits_posted": t.credits_posted,
            "debits_pending": t.debits_pending,
            "credits_pending": t.credits_pending,
            "last_transfer_hash": t.last_transfer_hash or "",
        }


def ledger_updated_at() -> datetime | None:
    head = ledger_head()
    if head is None or head.last_timestamp == 0:
        return None
    return ns_to_datetime(head.last_timestamp)


# ---------------------------------------------------------------------------------------------
# The journal as JSON Lines, and verification


def transfer_json(t: StoredTransfer, *, prev_hash: str, hash_: str) -> dict[str, object]:
    """An entry of the exported journal. 128-bit ids go as decimal strings (JSON readers that
    hold numbers as doubles would round them); the rest are integers."""
    return {
        "kind": "transfer",
        "id": str(t.id),
        "debit_account_id": str(t.debit_account_id),
        "credit_account_id": str(t.credit_account_id),
        "amount": t.amount,
        "ledger": t.ledger,
        "code": t.code,
        "flags": t.flags,
        "pending_id": str(t.pending_id),
        "timeout": t.timeout,
        "user_data_128": str(t.user_data_128),
        "user_data_64": t.user_data_64,
        "user_data_32": t.user_data_32,
        "timestamp": t.timestamp,
        "prev_hash": prev_hash,
        "hash": hash_,
    }


def _journal_rows(since: int = 0) -> Iterator[tuple[StoredTransfer, str]]:
    cols = [c.strip() for c in TRANSFER_COLUMNS.split(",")]
    qs = Transfer.objects.filter(timestamp__gt=since).order_by("timestamp")
    for row in qs.values_list(*cols, "hash").iterator(chunk_size=5000):
        yield transfer_from_row(row[:-1]), row[-1]


def journal_export(*, since: int = 0) -> Iterator[dict[str, object]]:
    """The journal from `since` (exclusive, ns), then a final `head` line with the journal's
    last hash, its length and the time through which pending transfers have been expired."""
    prev = GENESIS_HASH
    if since:
        before = (
            Transfer.objects.filter(timestamp__lte=since)
            .order_by("-timestamp")
            .values_list("hash", flat=True)
            .first()
        )
        prev = before or GENESIS_HASH
    for t, digest in _journal_rows(since):
        yield transfer_json(t, prev_hash=prev, hash_=digest)
        prev = digest
    head = ledger_head()
    yield {
        "kind": "head",
        "last_hash": head.last_hash if head else GENESIS_HASH,
        "transfers_count": head.transfers_count if head else 0,
        "last_timestamp": head.last_timestamp if head else 0,
        "expired_through": head.expired_through if head else 0,
    }


@dataclass
class Totals:
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0


@dataclass
class VerifyReport:
    entries: int = 0
    last_hash: str = GENESIS_HASH
    problem: str | None = None
    ledgers: dict[int, Totals] = field(default_factory=dict)
    accounts: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Replay:
    """Replays the journal: per-account sums and pending states, derived only from entries."""

    def __init__(self) -> None:
        self.sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        self.pending: dict[int, StoredTransfer] = {}
        self.status: dict[int, int] = {}
        self.closed: dict[int, bool] = {}
        self.seen: set[int] = set()
        self.ledger_of: dict[int, int] = {}
        # (expires_at, id) of the pending transfers with a timeout, earliest first.
        self.timeouts: list[tuple[int, int]] = []

    def add(self, t: StoredTransfer) -> str | None:
        if t.id in self.seen:
            return f"transfer {t.id} appears twice in the journal"
        self.seen.add(t.id)
        # What timed out by this transfer's time was released before it: the ledger releases
        # at each batch's first timestamp what is due by then, and refuses to post or void a
        # reservation past its timeout. (Released here a little earlier when the timeout falls
        # inside a batch: nothing the journal holds can touch the reservation's accounts in
        # between, since a closing reservation keeps its account closed and an expired one can
        # be neither posted nor voided.) An account closed by a reservation that timed out, and
        # closed again later, ends closed: the order matters.
        self.expire_through(t.timestamp)
        self.ledger_of[t.debit_account_id] = self.ledger_of[t.credit_account_id] = t.ledger
        dr, cr = self.sums[t.debit_account_id], self.sums[t.credit_account_id]
        if t.flags & F_PENDING:
            self.pending[t.id] = t
            self.status[t.id] = PendingStatus.PENDING
            if t.expires_at is not None:
                heapq.heappush(self.timeouts, (t.expires_at, t.id))
            dr[0] += t.amount
            cr[2] += t.amount
            if t.flags & F_CLOSING_DEBIT:
                self.closed[t.debit_account_id] = True
            if t.flags & F_CLOSING_CREDIT:
                self.closed[t.credit_account_id] = True
        elif t.flags & (F_POST | F_VOID):
            p = self.pending.get(t.pending_id)
            if p is None:
                return f"transfer {t.id} resolves {t.pending_id}, which is not an earlier pending"
            if self.status[p.id] != PendingStatus.PENDING:
                return f"transfer {t.id} resolves {p.id}, which was already resolved"
            if (t.debit_account_id, t.credit_account_id) != (
                p.debit_account_id,
                p.credit_account_id,
            ):
                return f"transfer {t.id} resolves {p.id} with other accounts"
            self.status[p.id] = PendingStatus.POSTED if t.flags & F_POST else PendingStatus.VOIDED
            self._release(p)
            if t.flags & F_POST:
                if t.amount > p.amount:
                    return f"transfer {t.id} posts more than pending transfer {p.id} reserved"
                dr[1] += t.amount
                cr[3] += t.amount
        else:
            dr[1] += t.amount
            cr[3] += t.amount
        return None

    def _release(self, p: StoredTransfer) -> None:
        self.sums[p.debit_account_id][0] -= p.amount
        self.sums[p.credit_account_id][2] -= p.amount
        if p.flags & F_CLOSING_DEBIT and self.status[p.id] != PendingStatus.POSTED:
            self.closed[p.debit_account_id] = False
        if p.flags & F_CLOSING_CREDIT and self.status[p.id] != PendingStatus.POSTED:
            self.closed[p.credit_account_id] = False

    def expire_through(self, through: int) -> None:
        """Releases, earliest first, every reservation still pending whose timeout is due by
        `through`."""
        while self.timeouts and self.timeouts[0][0] <= through:
            _expires_at, tid = heapq.heappop(self.timeouts)
            if self.status[tid] == PendingStatus.PENDING:
                self.status[tid] = PendingStatus.EXPIRED
                self._release(self.pending[tid])


def ledger_verify() -> VerifyReport:
    """Recomputes the hash chain, then every account's four balances from the transfers, and
    checks conservation (per ledger: debits = credits, posted and pending separately). Stops at
    the first discrepancy and names it."""
    report = VerifyReport()
    replay = _Replay()
    prev, last_ts = GENESIS_HASH, 0
    for t, stored_hash in _journal_rows():
        if t.timestamp <= last_ts:
            report.problem = f"transfer {t.id}: timestamp does not increase"
            return report
        expected = journal_hash(prev, t)
        if expected != stored_hash:
            report.problem = (
                f"journal entry {report.entries + 1} (transfer {t.id}, timestamp {t.timestamp}): "
                f"stored hash {stored_hash} does not match the recomputed {expected}"
            )
            return report
        problem = replay.add(t)
        if problem:
            report.problem = f"journal entry {report.entries + 1}: {problem}"
            return report
        prev, last_ts = stored_hash, t.timestamp
        report.entries += 1
        report.last_hash = prev
    head = ledger_head()
    if head is not None and (head.transfers_count, head.last_hash) != (report.entries, prev):
        report.problem = (
            f"the journal head records {head.transfers_count} entries ending in {head.last_hash}, "
            f"but the journal has {report.entries} ending in {prev}: entries were removed"
        )
        return report
    replay.expire_through(head.expired_through if head else 0)
    # Pending states kept by the ledger must be the ones the journal implies.
    for tid, status in PendingTransfer.objects.values_list("transfer_id", "status").iterator():
        derived = replay.status.get(int(tid))
        if derived != status:
            report.problem = (
                f"pending transfer {int(tid)}: status {status} recorded, {derived} derived "
                "from the journal"
            )
            return report
    if len(replay.status) != PendingTransfer.objects.count():
        report.problem = "a pending transfer of the journal has no recorded status"
        return report
    earliest = (
        PendingTransfer.objects.filter(status=PendingStatus.PENDING, expires_at__isnull=False)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )
    if head is not None and head.next_expiry != earliest:
        # Writers trust it to learn, under the head lock, that a reservation fell due.
        report.problem = (
            f"the journal head records the next timeout at {head.next_expiry}, but the earliest "
            f"timeout still pending is {earliest}"
        )
        return report
    cols = [c.strip() for c in ACCOUNT_COLUMNS.split(",")]
    seen_accounts: set[int] = set()
    for row in Account.objects.order_by("id").values_list(*cols).iterator(chunk_size=5000):
        a = account_from_row(row)
        report.accounts += 1
        expected_sums = replay.sums.get(a.id, [0, 0, 0, 0])
        actual = [a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted]
        if actual != expected_sums:
            names = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
            diffs = ", ".join(
                f"{n} {x} (transfers give {y})"
                for n, x, y in zip(names, actual, expected_sums, strict=True)
                if x != y
            )
            report.problem = f"account {a.id}: {diffs}"
            return report
        if a.id in replay.closed and bool(a.flags & A_CLOSED) != replay.closed[a.id]:
            report.problem = f"account {a.id}: closed flag does not match its closing transfers"
            return report
        seen_accounts.add(a.id)
        totals = report.ledgers.setdefault(a.ledger, Totals())
        totals.debits_pending += a.debits_pending
        totals.debits_posted += a.debits_posted
        totals.credits_pending += a.credits_pending
        totals.credits_posted += a.credits_posted
    missing = sorted(set(replay.sums) - seen_accounts)
    if missing:
        report.problem = f"the journal moves value on account {missing[0]}, which does not exist"
        return report
    return _conservation(report)


def _conservation(report: VerifyReport) -> VerifyReport:
    for number, t in sorted(report.ledgers.items()):
        if t.debits_posted != t.credits_posted:
            report.problem = (
                f"ledger {number}: debits posted {t.debits_posted} != credits posted "
                f"{t.credits_posted}"
            )
            return report
        if t.debits_pending != t.credits_pending:
            report.problem = (
                f"ledger {number}: debits pending {t.debits_pending} != credits pending "
                f"{t.credits_pending}"
            )
            return report
    return report


_EXPORT_INT_FIELDS = (
    "amount",
    "ledger",
    "code",
    "flags",
    "timeout",
    "user_data_64",
    "user_data_32",
    "timestamp",
)
_EXPORT_ID_FIELDS = (
    "id",
    "debit_account_id",
    "credit_account_id",
    "pending_id",
    "user_data_128",
)


def journal_verify_lines(lines: Iterable[str]) -> VerifyReport:
    """Verifies an exported journal on its own (no database): every line's hash, the chain from
    the first line's prev_hash, the final head line and, for an export from the beginning of the
    journal, every account's balances replayed from the entries and conservation per ledger
    (debits = credits, posted and pending separately). Names the first bad line."""
    report = VerifyReport()
    replay = _Replay()
    prev: str | None = None
    from_genesis = True
    last_ts = 0
    head: dict[str, Any] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if head is not None:
            report.problem = f"line {number}: nothing may follow the head line"
            return report
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            report.problem = f"line {number}: not JSON ({exc.msg})"
            return report
        if not isinstance(data, dict) or data.get("kind") not in ("transfer", "head"):
            report.problem = f"line {number}: kind must be transfer or head"
            return report
        if data["kind"] == "head":
            head = data
            continue
        try:
            t = StoredTransfer(
                **{k: _strict_id(data[k]) for k in _EXPORT_ID_FIELDS},
                **{k: _strict_int(data[k]) for k in _EXPORT_INT_FIELDS},
            )
        except KeyError as exc:
            report.problem = f"line {number}: field {exc.args[0]} is missing"
            return report
        except ValueError as exc:
            report.problem = f"line {number}: {exc}"
            return report
        line_prev = data.get("prev_hash")
        if prev is None:
            prev = str(line_prev)
            from_genesis = prev == GENESIS_HASH
        elif line_prev != prev:
            report.problem = f"line {number}: prev_hash is not the previous line's hash"
            return report
        if t.timestamp <= last_ts:
            report.problem = f"line {number}: timestamp does not increase"
            return report
        expected = journal_hash(prev, t)
        if expected != data.get("hash"):
            report.problem = (
                f"line {number} (transfer {t.id}): hash {data.get('hash')} does not match the "
                f"recomputed {expected}"
            )
            return report
        if from_genesis:
            problem = replay.add(t)
            if problem:
                report.problem = f"line {number}: {problem}"
                return report
        prev, last_ts = expected, t.timestamp
        report.entries += 1
        report.last_hash = prev
    if head is None:
        report.problem = "the export has no head line: it is truncated"
        return report
    if report.entries and head.get("last_hash") != prev:
        report.problem = "the head line's last_hash is not the last entry's hash"
        return report
    if from_genesis:
        if head.get("transfers_count") != report.entries:
            report.problem = (
                f"the head line counts {head.get('transfers_count')} entries, the export has "
                f"{report.entries}"
            )
            return report
        try:
            replay.expire_through(_strict_int(head.get("expired_through")))
        except ValueError as exc:
            report.problem = f"head line: expired_through: {exc}"
            return report
        for account_id, (dp, dpo, cp, cpo) in replay.sums.items():
            totals = report.ledgers.setdefault(replay.ledger_of[account_id], Totals())
            totals.debits_pending += dp
            totals.debits_posted += dpo
            totals.credits_pending += cp
            totals.credits_posted += cpo
        report.accounts = len(replay.sums)
    return _conservation(report)


def _strict_int(value: object) -> int:
    if type(value) is not int:
        raise ValueError(f"{value!r} is not an integer")
    return value


def _strict_id(value: object) -> int:
    if not isinstance(value, str) or not value.isdecimal():
        raise ValueError(f"{value!r} is not a string of decimal digits")
    return int(value)


def flags_display(flags: int, *, account: bool = False) -> list[str]:
    return flag_names(flags, ACCOUNT_FLAG_NAMES if account else TRANSFER_FLAG_NAMES)


def ledger_journal_open_rows() -> Iterator[dict[str, object]]:
    """Open data: the journal entries (the head line of an export is left out)."""
    for line in journal_export():
        if line["kind"] == "transfer":
            yield {k: v for k, v in line.items() if k != "kind"}
