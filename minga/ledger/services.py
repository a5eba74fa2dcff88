"""Writes of the ledger: `accounts_create`, `transfers_create` (TigerBeetle's create_accounts and
create_transfers), `pending_transfers_expire` and `ledger_define`.

Each batch runs in one transaction with one audit event. Every writer locks the accounts it
touches (in id order), then the journal head, then the audit head; the write path
(`_attempt_batch`) and its retries are described there and in docs/ledger.md. Nothing is written
for an event that failed, and a crash anywhere before COMMIT leaves nothing of the batch behind
(the database rolls the transaction back)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import psycopg
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)

from minga.core.services import (
    AuditHead,
    AuditTemplate,
    audit_append_statements,
    audit_head_lock_sql,
    audit_record,
    audit_template,
)

from . import selectors
from .domain import (
    ACCOUNT_FLAGS_STORED,
    AR,
    F_PENDING,
    F_POST,
    F_VOID,
    GENESIS_HASH,
    ID_DIGITS,
    AccountEvent,
    AccountState,
    Decision,
    InvalidEvent,
    PendingStatus,
    StoredTransfer,
    TransferEvent,
    TransferMachine,
    chain_spans,
    check_batch,
    decide_account,
    expire_pending,
    id_text,
    journal_chain,
    transfer_canonical_bytes,
)
from .models import Ledger, LedgerHead

__all__ = [
    "LedgerAlreadyDefined",
    "LedgerBusy",
    "accounts_create",
    "ledger_define",
    "pending_transfers_expire",
    "transfers_create",
    "transfers_create_pipelined",
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
    # A large batch on PostgreSQL (a million new wallets, say) first assumes that none of its
    # ids is taken: it skips reading the accounts it names, which costs as much as writing them,
    # and the primary key refuses a taken id at the COPY. That answer stands only when every
    # account was created; otherwise the batch runs again reading them, as a small one always
    # does. Either way the head lock is taken after any account lock, never before one.
    optimistic = connection.vendor == "postgresql" and len(events) > SMALL_BATCH
    for read_existing in (False, True) if optimistic else (True,):
        try:
            with transaction.atomic(durable=True):
                # Accounts before the head: the order every writer locks in (_attempt_batch).
                existing = selectors.accounts_locked(e.id for e in events) if read_existing else {}
                head = _lock_head()
                first_ts = _first_timestamp(head, now)
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
                        # id, ledger, code, flags, the four balances, user data, timestamp.
                        created[e.id] = AccountState(
                            e.id,
                            e.ledger,
                            e.code,
                            e.flags & ACCOUNT_FLAGS_STORED,
                            0,
                            0,
                            0,
                            0,
                            e.user_data_128,
                            e.user_data_64,
                            e.user_data_32,
                            first_ts + i,
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
                if not read_existing and any(r != AR.OK for r in results):
                    # Answered as if no id were taken: only an all-new batch may be answered
                    # that way (`exists` comes before other refusals).
                    transaction.set_rollback(True)
                    continue
                if created:
                    # `created` holds the accounts in event order, which is timestamp order.
                    zero = id_text(0)
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
                            id_text(a.user_data_128) if a.user_data_128 else zero,
                            a.user_data_64,
                            a.user_data_32,
                            a.timestamp,
                        )
                        for a in created.values()
                    ]
                    columns = (
                        "id, ledger, code, flags, debits_pending, debits_posted, credits_pending, "
                        "credits_posted, user_data_128, user_data_64, user_data_32, timestamp"
                    )
                    if connection.vendor == "postgresql" and len(rows) > SMALL_BATCH:
                        # Many accounts travel by COPY, one line of text per row: every value
                        # is an integer or a zero-padded decimal id, so nothing needs escaping.
                        text = "".join("\t".join(map(str, row)) + "\n" for row in rows)
                        # Django's error classes, with psycopg's error as the cause.
                        with (
                            connection.wrap_database_errors,
                            connection.connection.cursor() as raw,
                            raw.copy(f"COPY ledger_account ({columns}) FROM STDIN") as copy,
                        ):
                            copy.write(text)
                    else:
                        with connection.cursor() as cursor:
                            marks = ", ".join(["%s"] * 12)
                            cursor.executemany(
                                f"INSERT INTO ledger_account ({columns}) VALUES ({marks})",  # noqa: S608 - fixed names
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
        except IntegrityError as error:
            if read_existing or not _id_taken(error, ("ledger_account",)):
                raise
    raise AssertionError("the last attempt reads the accounts and answers")


# ---------------------------------------------------------------------------------------------
# Transfers


class LedgerBusy(Exception):
    """A batch kept meeting concurrent changes to what it had read (MAX_ATTEMPTS times): nothing
    of it was applied, and the client may send it again as it is."""


# How many times a batch is rolled back and run again with what it learned (an account it
# had not locked, a reservation that fell due, an id another writer took first) before the
# client is told to retry. One or two is usual under contention; more means a hot spot.
MAX_ATTEMPTS = 25


@dataclass(frozen=True)
class _Plan:
    """What an attempt locks beyond the accounts its events name, through when it looks for
    reservations that fell due, and whether it reads which of its ids are taken before deciding:
    learned from earlier attempts of the same batch."""

    accounts: frozenset[int] = frozenset()
    due_through: int = 0
    read_taken: bool = False
    general: bool = False  # not _append_in_database: it refused the batch (SQLSTATE ML001)


class _Retry(Exception):
    def __init__(self, plan: _Plan) -> None:
        super().__init__("retry")
        self.plan = plan


def _id_taken(
    error: IntegrityError, tables: tuple[str, ...] = ("ledger_transfer", "ledger_pendingtransfer")
) -> bool:
    """The database refused a duplicate key in one of these tables (PostgreSQL's unique
    violation): a concurrent writer, or a batch that skipped reading its ids, met an id taken."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    table = getattr(diag, "table_name", None)
    return getattr(cause, "sqlstate", None) == "23505" and table in tables


# The earliest pending timeout this process last saw under the head lock (None: none pending;
# absent: not looked yet). Only a hint: it lets a batch skip looking for due reservations
# before its locks; the head, read under its lock, has the last word (_attempt_batch).
_next_expiry_seen: dict[str, int | None] = {}


def transfers_create(
    *, events: Sequence[TransferEvent], actor: Any = None, now: datetime
) -> list[str]:
    """Creates transfers; answers every event with a result code (domain.CreateTransferResult),
    in the batch's order. `ok` and `exists` both mean the transfer is in the ledger. Raises
    domain.InvalidEvent, before touching anything, for a field out of its type's range, and
    LedgerBusy, having applied nothing, when concurrent writers kept changing what it read."""
    check_batch(events, "transfers")
    results, _expired = _run_attempts(events, actor, now)
    return results


def pending_transfers_expire(*, actor: Any = None, now: datetime) -> int:
    """Releases the reservation of every pending transfer whose timeout has passed by `now`
    (create_transfers does this too, at the start of each batch). Returns how many expired."""
    _results, expired = _run_attempts([], actor, now)
    return expired


def transfers_create_pipelined(
    *, batches: Iterable[Sequence[TransferEvent]], actor: Any = None, now: datetime
) -> Iterator[list[str]]:
    """transfers_create for each batch in turn, for runs of many large batches (a monthly
    issuance): answers each batch's results, in order, once the batch is committed.

    On PostgreSQL, outside any transaction, a batch of more than SMALL_BATCH transfers that
    reserves, posts and voids nothing is pipelined: one message to the server writes and
    commits a batch (its audit event appended last, so the audit head is held by no round
    trip), then locks the next one's accounts and the journal head, and reads the accounts of
    the one after (unlocked); while the server works, Python decides the next batch on the
    states it predicts from that read and from what the run itself wrote. The prediction is
    compared with the locked rows before anything is written: where any field differs, the
    batch is decided again from the locked rows, as transfers_create decides it. A batch that
    needs more than that (an event refused or already in the ledger, a reservation fallen due,
    no journal or audit head yet, any failure of its statements) is rolled back and sent through
    transfers_create. Everywhere else every batch goes through transfers_create.

    `batches` is drawn while the pipeline holds a transaction open on the default connection,
    and the caller runs between two answers while the pipeline's statements are in flight on
    it: neither may use that connection (psycopg refuses a query while another is in flight),
    except the caller after a batch whose answers are not all `ok`, which is answered with
    nothing in flight and no transaction open. Between two answers the pipeline holds the
    next batch's accounts and the journal head (never the audit head): the caller must not
    wait then for work that writes to the ledger. A batch that fails check_batch ends the run:
    the batches before it are committed and answered first, then InvalidEvent is raised."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or db.in_atomic_block:
        for events in batches:
            yield transfers_create(events=events, actor=actor, now=now)
        return
    pipeline = _Pipeline(batches, actor, now)
    try:
        yield from pipeline.run()
    finally:
        pipeline.close()
    if pipeline.error is not None:
        raise pipeline.error


@dataclass
class _Drawn:
    """A batch drawn by the pipeline, with its accounts' ids."""

    events: Sequence[TransferEvent]
    accounts: set[int]
    texts: list[str]  # the accounts' ids as text, sorted


@dataclass
class _Planned:
    """A batch decided, with the statements that write it."""

    drawn: _Drawn
    results: list[str]
    decided: dict[int, AccountState]  # every account of the batch, as the batch leaves it
    head: selectors.HeadState  # as the batch's writes leave it
    statements: list[str]  # literal SQL, the audit event's included
    # What a guess assumed: the server's text of the accounts it read, the fields of those it
    # took from the batch before, and the journal head.
    read: bytes | None = None
    carried: dict[int, tuple[int, ...]] = field(default_factory=dict)
    head_before: selectors.HeadState | None = None


def _account_fields(a: AccountState) -> tuple[int, ...]:
    return (
        a.id, a.ledger, a.code, a.flags, a.debits_pending, a.debits_posted, a.credits_pending,
        a.credits_posted, a.user_data_128, a.user_data_64, a.user_data_32, a.timestamp,
    )  # fmt: skip


def _accounts_from_text(text: bytes | None) -> list[AccountState]:
    """Accounts from _ACCOUNTS_TEXT: rows split by ";", ACCOUNT_COLUMNS (every one a number)
    split by ","."""
    if text is None:
        return []
    # Every number at once, then twelve at a time: half the time of a split per row.
    numbers = iter(map(int, text.replace(b";", b",").split(b",")))
    columns = [numbers] * len(selectors.ACCOUNT_COLUMNS.split(","))
    return list(map(AccountState, *columns))


# The accounts as one text, in id order (selectors.ACCOUNT_COLUMNS, every one a number): one
# value to read back for a whole batch, and two readings of unchanged rows give the same text.
_ACCOUNT_TEXT = f"concat_ws(',', {selectors.ACCOUNT_COLUMNS})"
_ACCOUNTS_TEXT = f"string_agg({_ACCOUNT_TEXT}, ';' ORDER BY id)"


# Locks the accounts in id order and answers them as two texts: those not carried over from
# the batch before, and those that are.
_LOCK_SQL = (
    f"SELECT {_ACCOUNTS_TEXT} FILTER (WHERE NOT carried), "  # noqa: S608 - fixed SQL
    f"{_ACCOUNTS_TEXT} FILTER (WHERE carried) "
    f"FROM (SELECT {selectors.ACCOUNT_COLUMNS}, id = ANY(string_to_array(%s, ',')) AS carried "
    "FROM ledger_account WHERE ({bounds}) AND id = ANY(string_to_array(%s, ',')) "
    "ORDER BY id FOR UPDATE) AS a"
)


def _pipelinable(events: Sequence[TransferEvent]) -> bool:
    return len(events) > SMALL_BATCH and not any(
        e.flags & (F_PENDING | F_POST | F_VOID) for e in events
    )


class _Pipeline:
    """The state of one transfers_create_pipelined run (see there)."""

    def __init__(self, batches: Iterable[Sequence[TransferEvent]], actor: Any, now: datetime):
        self.source = iter(batches)
        self.actor, self.now = actor, now
        self.now_ns = selectors.datetime_to_ns(now)
        self.error: Exception | None = None  # a batch that failed check_batch, raised at the end
        self.in_flight = False
        self.lit = selectors.Literal()

    def draw(self) -> _Drawn | None:
        """The next batch, checked; None at the end, or at a batch that fails its check (kept
        to be raised once the batches before it are committed)."""
        if self.error is not None:
            return None
        try:
            events = next(self.source)
            check_batch(events, "transfers")
        except StopIteration:
            return None
        except InvalidEvent as error:
            self.error = error
            return None
        ids = {e.debit_account_id for e in events} | {e.credit_account_id for e in events}
        ids.discard(0)
        return _Drawn(events, ids, sorted(map(id_text, ids)))

    def literal(self, statements: Sequence[selectors.Statement]) -> list[str]:
        return [self.lit.statement(statement) for statement in statements]

    def opening(self, batch: _Drawn, before: _Drawn | None, after: _Drawn | None) -> list[str]:
        """Opens a batch's transaction: its accounts, then the journal head, locked (the order
        of every writer; the audit head comes last, in the statement of the writes that appends
        the audit event), and the accounts of the batch after, read but for those it shares
        with this batch. The locked accounts come back as two texts: those not in the batch
        `before` (committed just before in the same message), and those in it."""
        carried = batch.accounts & before.accounts if before else set()
        statements: list[selectors.Statement] = [
            (
                _LOCK_SQL.format(bounds=selectors.id_bounds("id", batch.accounts)),
                [",".join(sorted(map(id_text, carried))), ",".join(batch.texts)],
            ),
            selectors.head_lock_sql(),
        ]
        if after is not None:
            shared = {id_text(i) for i in after.accounts & batch.accounts}
            ahead = [t for t in after.texts if t not in shared] if shared else after.texts
            statements.append(
                (
                    f"SELECT {_ACCOUNTS_TEXT} FROM ledger_account "  # noqa: S608 - fixed SQL
                    f"WHERE ({selectors.id_bounds('id', after.accounts - batch.accounts)}) "
                    "AND id = ANY(string_to_array(%s, ','))",
                    [",".join(ahead)],
                )
                if ahead
                else ("SELECT NULL::text", [])
            )
        return ["BEGIN", *self.literal(statements)]

    def send(self, statements: list[str]) -> None:
        selectors.literal_send(";\n".join(statements))
        self.in_flight = True

    def receive(self) -> tuple[list[list[tuple[bytes | None, ...]]], DatabaseError | None]:
        self.in_flight = False
        return selectors.literal_receive()

    def rollback(self) -> None:
        selectors.run_literal_sql("ROLLBACK")

    def close(self) -> None:
        """Reads what is still in flight and rolls back a transaction left open (the caller
        stopped drawing answers, or something raised)."""
        if self.in_flight:
            self.receive()
        raw = selectors.raw_connection()
        if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.rollback()

    def plan(
        self, batch: _Drawn, state: dict[int, AccountState], head: selectors.HeadState
    ) -> _Planned | None:
        """Decides a batch on these states (changed in place) and this head, as _attempt_batch
        would with nothing due and no id taken; None where it needs more than that."""
        first_ts = max(self.now_ns, head.last_timestamp + 1)
        if head.next_expiry is not None and head.next_expiry <= first_ts:
            return None  # a reservation fell due: the general path releases it first
        decision = TransferMachine(
            accounts=state, transfers={}, pending_status={}, first_timestamp=first_ts
        ).run(batch.events)
        if any(r != "ok" for r in decision.results):
            return None  # `exists` and the like need the taken ids: the general path reads them
        statements = self.literal(_write(head, decision, [], state, first_ts, inline=True))
        audit = _audit_append_sql(
            _batch_audit(batch.events, decision, [], head, first_ts, self.actor, self.now)
        )
        if audit is None:
            return None  # the audit event could not be templated: the general path writes it
        return _Planned(batch, decision.results, state, head, [*statements, audit])

    def guess(self, batch: _Drawn, read: bytes | None, before: _Planned) -> _Planned | None:
        """Decides a batch ahead of its locks: its accounts as read (unlocked, after the
        batches before `before` committed) and those it shares with `before` as `before`
        leaves them."""
        state = {a.id: a for a in _accounts_from_text(read)}
        carried: dict[int, tuple[int, ...]] = {}
        for i in batch.accounts & before.drawn.accounts:
            state[i] = replace(before.decided[i], touched=False)
            carried[i] = _account_fields(state[i])
        if len(state) != len(batch.accounts):
            return None  # an account is missing: the locked rows will say which
        head_before = replace(before.head)
        planned = self.plan(batch, state, replace(before.head))
        if planned is not None:
            planned.read, planned.carried, planned.head_before = read, carried, head_before
        return planned

    def settle(
        self,
        batch: _Drawn,
        guess: _Planned | None,
        answers: list[list[tuple[bytes | None, ...]]],
    ) -> _Planned | None:
        """The batch as it will be written, from the answers to its opening (the locked
        accounts and journal head): the guess if it assumed exactly what is locked, else
        decided again from the locked rows. None: the general path."""
        [(fresh, carried)], head_rows = answers[1:3]
        if not head_rows:
            return None
        (ts, last_hash, count, expired_through, next_expiry) = head_rows[0]
        head = selectors.HeadState(
            int(ts),  # type: ignore[arg-type]
            last_hash.decode(),  # type: ignore[union-attr]
            int(count),  # type: ignore[arg-type]
            int(expired_through),  # type: ignore[arg-type]
            None if next_expiry is None else int(next_expiry),
        )
        _next_expiry_seen[DEFAULT_DB_ALIAS] = head.next_expiry
        if (
            guess is not None
            and guess.head_before == head
            and guess.read == fresh
            and {a.id: _account_fields(a) for a in _accounts_from_text(carried)} == guess.carried
        ):
            return guess
        locked = _accounts_from_text(fresh) + _accounts_from_text(carried)
        return self.plan(batch, {a.id: a for a in locked}, head)

    def general(self, batch: _Drawn) -> list[str]:
        return transfers_create(events=batch.events, actor=self.actor, now=self.now)

    def run(self) -> Iterator[list[str]]:
        current = self.draw()
        after = self.draw() if current is not None else None
        while current is not None:
            if not _pipelinable(current.events):
                yield self.general(current)
                current, after = after, (self.draw() if after is not None else None)
                continue
            self.send(self.opening(current, None, after))
            guess: _Planned | None = None
            # The batch whose writes and COMMIT lead the message in flight, and their number.
            committing: _Planned | None = None
            committing_statements = 0
            while True:
                answers, error = self.receive()
                committed: list[str] | None = None
                if committing is not None:
                    if error is not None and len(answers) <= committing_statements:
                        # Not committed (a transfer id taken by a crashed run, say): the general
                        # path decides it with the ids read, and `current` opens afresh.
                        self.rollback()
                        yield self.general(committing.drawn)
                        break
                    answers = answers[committing_statements + 1 :]
                    committed, committing = committing.results, None
                planned = None if error is not None else self.settle(current, guess, answers)
                if planned is None:
                    if committed is not None:
                        yield committed
                    self.rollback()
                    yield self.general(current)
                    current, after = after, (self.draw() if after is not None else None)
                    break
                statements = planned.statements
                if after is None or not _pipelinable(after.events):
                    self.send([*statements, "COMMIT"])
                    if committed is not None:
                        yield committed  # in flight: see transfers_create_pipelined
                    _answers, error = self.receive()
                    if error is not None:
                        self.rollback()
                        yield self.general(current)
                    else:
                        yield planned.results
                    current, after = after, (self.draw() if after is not None else None)
                    break
                following = self.draw()
                self.send([*statements, "COMMIT", *self.opening(after, current, following)])
                committing, committing_statements = planned, len(statements)
                if committed is not None:
                    yield committed  # in flight: see transfers_create_pipelined
                # While the server writes this batch and locks the next: the next one's guess.
                guess = self.guess(after, answers[3][0][0], planned)
                current, after = after, following


def _audit_append_sql(audit: dict[str, Any]) -> str | None:
    """A batch's audit event (_batch_audit) as one call of minga_audit_append() (core
    migration 0003), literal SQL: the function locks the audit head, chains and appends the
    event, so the head is held from that statement to the COMMIT that follows it, never across
    a round trip. The values that change with every batch go in as replacements of the
    template's markers, so that the template is computed once for a run. None when it cannot be
    templated (see audit_template)."""
    deferred_ints, deferred_texts = ("first_timestamp", "transfers_count"), ("journal_hash",)
    after = dict(audit["after"])
    values = {key: str(after.pop(key)) for key in (*deferred_ints, *deferred_texts)}
    template = audit_template(
        actor=audit["actor"],
        action=audit["action"],
        object_type=audit["object_type"],
        object_id=audit["object_id"],
        after=after,
        deferred_ints=deferred_ints,
        deferred_texts=deferred_texts,
        now=audit["now"],
    )
    if template is None:
        return None
    replacements: list[str] = []
    for key, value in values.items():
        replacements += [template.markers[key], value]
    arguments = _audit_arguments(
        selectors.Literal(),
        template,
        replacements,
        action=audit["action"],
        object_type=audit["object_type"],
        object_id=str(audit["object_id"]),
        now=audit["now"],
    )
    return f"SELECT minga_audit_append({', '.join(arguments)})"


def _audit_arguments(
    lit: selectors.Literal,
    template: AuditTemplate,
    replacements: list[str],
    *,
    action: str,
    object_type: str,
    object_id: str,
    now: datetime,
) -> list[str]:
    """The arguments of minga_audit_append() (core migration 0003), as literals: the event's
    template, the (marker, value) pairs that fill it in, and the event's own fields."""
    return [
        lit.text(template.canonical),
        lit.text(template.after),
        lit.text_array(replacements),
        lit.text(template.seq_marker),
        lit.timestamp(now),
        "NULL" if template.actor_id is None else str(int(template.actor_id)),
        lit.text(template.actor_label),
        lit.text(action),
        lit.text(object_type),
        lit.text(object_id),
    ]


def _run_attempts(
    events: Sequence[TransferEvent], actor: Any, now: datetime
) -> tuple[list[str], int]:
    plan = _Plan(due_through=selectors.datetime_to_ns(now), read_taken=not events)
    for _attempt in range(MAX_ATTEMPTS):
        try:
            return _attempt_batch(events, actor, now, plan)
        except _Retry as retry:
            plan = retry.plan
        except IntegrityError as error:
            if not _id_taken(error):
                raise
            plan = replace(plan, read_taken=True)
        except DatabaseError as error:
            if getattr(error.__cause__, "sqlstate", None) != REFUSED_IN_DATABASE:
                raise
            plan = replace(plan, general=True)
    raise LedgerBusy(f"the batch met concurrent changes {MAX_ATTEMPTS} times; send it again")


def _attempt_batch(
    events: Sequence[TransferEvent], actor: Any, now: datetime, plan: _Plan
) -> tuple[list[str], int]:
    """One attempt, in one transaction. Locks in a fixed order, the same for every writer: the
    accounts (in id order), then the journal head, then the audit head. Reads that decide the
    batch happen after the locks that guard them: an account's balances and the statuses of
    pending transfers on it under the account's lock, timestamps and due reservations under the
    head's. Whatever was learned too late (an account to lock, a reservation due) rolls the
    attempt back and runs it again knowing it. See docs/ledger.md, "How it works"."""
    now_ns = selectors.datetime_to_ns(now)
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy costs a lookup
    postgres = db.vendor == "postgresql"
    referenced_ids = {e.pending_id for e in events if e.flags & (F_POST | F_VOID)}
    referenced_ids.discard(0)
    account_ids = set(plan.accounts)
    for e in events:
        account_ids.add(e.debit_account_id)
        account_ids.add(e.credit_account_id)
    account_ids.discard(0)
    seen = _next_expiry_seen.get(db.alias, 0)
    look_for_due = plan.due_through > now_ns or (seen is not None and seen <= now_ns)
    known = not look_for_due and not referenced_ids
    # A small batch that posts or voids nothing may end inside the database, where the heads
    # are held for no round trip (_append_in_database).
    in_database = (
        postgres
        and known
        and not plan.general
        and not plan.read_taken
        and 0 < len(events) <= SMALL_BATCH
    )
    if in_database and not db.in_atomic_block:
        results = _in_database_own_transaction(events, account_ids, actor, now, now_ns)
        if results is not None:
            return results, 0
        in_database = False
    with transaction.atomic(durable=True):
        # On PostgreSQL the ids are not read before deciding: the primary key refuses a taken
        # one at the insert, and the attempt runs again reading them. A batch decided with a
        # failure reads them too, since `exists` comes before every other answer.
        read_taken = plan.read_taken or not postgres
        # 1. What fell due (read before any lock: checked again under the head lock), the
        #    pending transfers the batch names (immutable rows) and the accounts, locked. When
        #    nothing can add to the accounts to lock, the rest of the reads travel with them.
        reads: dict[str, selectors.Statement | None] = {
            "due": selectors.pending_due_sql(plan.due_through) if look_for_due else None,
            "referenced": selectors.transfers_sql(referenced_ids),
            "accounts": selectors.accounts_lock_sql(account_ids),
        }
        if known and not in_database:
            reads.update(_decision_reads(events, [], read_taken))
        rows = _run_named(reads)
        due = [selectors.transfer_from_row(r) for r in rows["due"]]
        referenced = {int(r[0]): selectors.transfer_from_row(r) for r in rows["referenced"]}
        accounts = {int(r[0]): selectors.account_from_row(r) for r in rows["accounts"]}
        if in_database:
            results = _append_in_database(events, accounts, actor, now, now_ns)
            if results is not None:
                return results, 0
            # Refused events need the taken ids (`exists` answers first): the general way.
            read_taken = True
        if not known or in_database:
            needed = set(account_ids)
            for t in (*due, *referenced.values()):
                needed.add(t.debit_account_id)
                needed.add(t.credit_account_id)
            if not needed <= account_ids:
                raise _Retry(replace(plan, accounts=frozenset(needed)))
            # 2. Under the account locks: the statuses of the pending transfers involved (a
            #    status changes only under its accounts' locks), the ids taken, the heads.
            rows.update(
                _run_named(_decision_reads(events, [*referenced, *(t.id for t in due)], read_taken))
            )
        head = selectors.head_from_rows(rows["head"])
        if head is None:
            _head_create()
            raise _Retry(plan)
        _next_expiry_seen[connection.alias] = head.next_expiry
        statuses = {int(r[0]): r[1] for r in rows["statuses"]}
        transfers = dict(referenced)
        for r in rows["taken"]:
            transfers[int(r[0])] = selectors.transfer_from_row(r)
        first_ts = max(now_ns, head.last_timestamp + 1)
        expired = [t for t in due if statuses.get(t.id) == PendingStatus.PENDING]
        if head.next_expiry is not None and head.next_expiry <= first_ts:
            # Something fell due by this batch's time: it must be exactly what was locked.
            (due_now_rows,) = selectors.run_together([selectors.pending_due_sql(first_ts)])
            due_now = [selectors.transfer_from_row(r) for r in due_now_rows]
            if {t.id for t in due_now} != {t.id for t in expired}:
                more = set(account_ids)
                for t in due_now:
                    more.add(t.debit_account_id)
                    more.add(t.credit_account_id)
                raise _Retry(replace(plan, accounts=frozenset(more), due_through=first_ts))
        elif expired:
            # Due at plan.due_through, but the head says nothing is due by first_ts: the head
            # was changed behind the ledger's back.
            raise AssertionError("the journal head's next_expiry is behind a due reservation")
        expired.sort(key=lambda t: t.timestamp)
        # Timed-out reservations are released before the batch is decided.
        expire_pending(accounts, expired)
        for t in expired:
            statuses[t.id] = PendingStatus.EXPIRED

        def decide(state: dict[int, AccountState]) -> Decision:
            # The machine changes the states it is given, and adds to the transfers.
            machine = TransferMachine(
                accounts=state,
                transfers=dict(transfers),
                pending_status=dict(statuses),
                first_timestamp=first_ts,
            )
            return machine.run(events)

        decided = accounts
        decision = decide(decided)
        if not read_taken and any(r != "ok" for r in decision.results):
            # Decided without the taken ids: decided again with them, from the accounts as
            # they are (still locked, so unchanged) with the due reservations released again.
            taken_rows, account_rows = selectors.run_together(
                [
                    selectors.transfers_sql({e.id for e in events}) or _NOTHING,
                    selectors.accounts_lock_sql(account_ids) or _NOTHING,
                ]
            )
            for r in taken_rows:
                transfers[int(r[0])] = selectors.transfer_from_row(r)
            decided = {int(r[0]): selectors.account_from_row(r) for r in account_rows}
            expire_pending(decided, expired)
            decision = decide(decided)
        if not decision.created and not expired:
            return decision.results, 0
        writes = _write(head, decision, expired, decided, first_ts)
        audit = _batch_audit(events, decision, expired, head, first_ts, actor, now)
        if rows["audit"]:
            writes += audit_append_statements(head=AuditHead(*rows["audit"][0]), **audit)
            # The last statements of the transaction: the COMMIT travels with them.
            selectors.run_together(writes, then_commit=True)
        else:
            selectors.run_together(writes)
            audit_record(**audit)
    return decision.results, len(expired)


def _batch_audit(
    events: Sequence[TransferEvent],
    decision: Decision,
    expired: Sequence[StoredTransfer],
    head: selectors.HeadState,
    first_ts: int,
    actor: Any,
    now: datetime,
) -> dict[str, Any]:
    """The audit event of a decided batch, `head` as its writes leave it."""
    if events:
        action, after = (
            "ledger.transfers_create",
            {
                "created": len(decision.created),
                "refused": sum(1 for r in decision.results if r not in ("ok", "exists")),
                "exists": sum(1 for r in decision.results if r == "exists"),
                "expired": len(expired),
                "first_timestamp": first_ts,
                "journal_hash": head.last_hash,
                "transfers_count": head.transfers_count,
            },
        )
    else:
        action, after = (
            "ledger.pending_transfers_expire",
            {"expired": len(expired), "through": first_ts},
        )
    return {
        "actor": _actor_label(actor),
        "action": action,
        "object_type": "ledger.transfer",
        "object_id": str(decision.created[0].id) if decision.created else "expiry",
        "after": after,
        "now": now,
    }


def _in_database_own_transaction(
    events: Sequence[TransferEvent],
    account_ids: set[int],
    actor: Any,
    now: datetime,
    now_ns: int,
) -> list[str] | None:
    """_append_in_database in a transaction of its own, opened by the first statement and
    committed by the last (two round trips in all: psycopg, in autocommit outside an atomic
    block, sends no BEGIN of its own). None, having rolled back, where _append_in_database
    declines: the caller then runs the batch in a transaction.atomic block."""
    raw = selectors.raw_connection()
    assert raw.autocommit, "outside an atomic block, Django's connection is in autocommit"
    ids = ",".join(sorted({id_text(i) for i in account_ids}))
    try:
        (_begin, lock_rows) = selectors.run_literal_sql(
            f"BEGIN;\nSELECT {selectors.ACCOUNT_COLUMNS} FROM ledger_account "
            f"WHERE id = ANY(string_to_array('{ids}', ',')) ORDER BY id FOR UPDATE"
        )
        accounts = {int(r[0]): _account_from_text(r) for r in lock_rows}  # type: ignore[arg-type]
        results = _append_in_database(events, accounts, actor, now, now_ns)
    finally:
        if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raw.execute("ROLLBACK")
    return results


def _account_from_text(row: tuple[bytes, ...]) -> AccountState:
    """An account from the server's text of selectors.ACCOUNT_COLUMNS (every column a number)."""
    (id_, ledger, code, flags, dp, dpo, cp, cpo, ud128, ud64, ud32, ts) = map(int, row)
    return AccountState(
        id=id_,
        ledger=ledger,
        code=code,
        flags=flags,
        debits_pending=dp,
        debits_posted=dpo,
        credits_pending=cp,
        credits_posted=cpo,
        user_data_128=ud128,
        user_data_64=ud64,
        user_data_32=ud32,
        timestamp=ts,
    )


# What minga_ledger_append() answers for a batch it cannot decide as the Python path would.
REFUSED_IN_DATABASE = "ML001"


def _append_in_database(
    events: Sequence[TransferEvent],
    accounts: dict[int, AccountState],
    actor: Any,
    now: datetime,
    now_ns: int,
) -> list[str] | None:
    """Ends a batch that posts or voids nothing inside PostgreSQL, with its accounts locked: it
    is decided here (its answers do not depend on its timestamps, which only the locked head
    gives); minga_ledger_append() (ledger migration 0004) writes the balances, locks the
    journal head, stamps, chains and writes the transfers, and appends the audit event, in the
    same round trip as the COMMIT. None, having written nothing, when an event is refused
    or the audit event cannot be templated: the caller goes on the general way."""
    state = {i: replace(a) for i, a in accounts.items()}
    machine = TransferMachine(
        accounts=state, transfers={}, pending_status={}, first_timestamp=now_ns
    )
    decision = machine.run(events)
    created = decision.created
    if any(r != "ok" for r in decision.results) or len(created) != len(events):
        return None
    template = audit_template(
        actor=_actor_label(actor),
        action="ledger.transfers_create",
        object_type="ledger.transfer",
        object_id=str(created[0].id),
        after={"created": len(created), "refused": 0, "exists": 0, "expired": 0},
        deferred_ints=("first_timestamp", "transfers_count"),
        deferred_texts=("journal_hash",),
        now=now,
    )
    if template is None:
        return None
    markers: list[str] = []
    for key in ("first_timestamp", "journal_hash", "transfers_count"):
        markers += [template.markers[key], f"${key}"]
    # The call is written with its values as literals and sent straight through libpq
    # (selectors.run_literal_sql): for one transfer, binding some thirty parameters through a
    # cursor cost the client more than deciding the transfer.
    lit = selectors.Literal()
    arr = lit.plain_array
    touched = [a for a in state.values() if a.touched]
    args = [
        str(now_ns),
        arr((id_text(t.id) for t in created), "text[]"),
        arr((id_text(t.debit_account_id) for t in created), "text[]"),
        arr((id_text(t.credit_account_id) for t in created), "text[]"),
        arr((t.amount for t in created), "bigint[]"),
        arr((t.ledger for t in created), "bigint[]"),
        arr((t.code for t in created), "integer[]"),
        arr((t.flags for t in created), "integer[]"),
        arr((t.timeout for t in created), "bigint[]"),
        arr((id_text(t.user_data_128) for t in created), "text[]"),
        arr((t.user_data_64 for t in created), "bigint[]"),
        arr((t.user_data_32 for t in created), "bigint[]"),
        # The canonical bytes up to the timestamp, which the function appends.
        arr(
            (transfer_canonical_bytes(t).decode().rsplit("|", 1)[0] + "|" for t in created),
            "text[]",
        ),
        f"'{id_text(0)}'",
        # The audit event: minga_ledger_append() passes these on to minga_audit_append().
        *_audit_arguments(
            lit,
            template,
            markers,
            action="ledger.transfers_create",
            object_type="ledger.transfer",
            object_id=str(created[0].id),
            now=now,
        ),
        arr((id_text(a.id) for a in touched), "text[]"),
        arr((a.flags for a in touched), "integer[]"),
        arr((a.debits_pending for a in touched), "bigint[]"),
        arr((a.debits_posted for a in touched), "bigint[]"),
        arr((a.credits_pending for a in touched), "bigint[]"),
        arr((a.credits_posted for a in touched), "bigint[]"),
    ]
    sql = f"SELECT minga_ledger_append({', '.join(args)})"
    # The COMMIT travels with the call, but only from the outermost block (or the transaction
    # _in_database_own_transaction opened): inside another one (a test's) it would commit that.
    db = connections[DEFAULT_DB_ALIAS]
    if len(db.atomic_blocks) <= 1:
        sql += ";\nCOMMIT"
    rows = selectors.run_literal_sql(sql)
    next_expiry = rows[0][0][0]
    _next_expiry_seen[db.alias] = None if next_expiry is None else int(next_expiry)
    return decision.results


# A statement that returns no row, for a read with nothing to read.
_NOTHING: selectors.Statement = ("SELECT 1 WHERE 1 = 0", [])


def _decision_reads(
    events: Sequence[TransferEvent], pending_ids: Sequence[int], read_taken: bool
) -> dict[str, selectors.Statement | None]:
    """The reads under the account locks: pending statuses, the batch's taken ids, then the
    journal head and the audit head, locked."""
    return {
        "statuses": selectors.pending_statuses_sql(pending_ids),
        "taken": selectors.transfers_sql({e.id for e in events}) if read_taken else None,
        "head": selectors.head_lock_sql(),
        "audit": (audit_head_lock_sql(), []),
    }


def _run_named(reads: dict[str, selectors.Statement | None]) -> dict[str, list[tuple[Any, ...]]]:
    """Runs the reads that are not None together (one round trip), in order; an absent read
    gives no rows."""
    present = [(name, st) for name, st in reads.items() if st is not None]
    results = selectors.run_together([st for _name, st in present])
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in reads}
    rows.update({name: r for (name, _st), r in zip(present, results, strict=True)})
    return rows


def _head_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_ledgerhead (id, last_timestamp, last_hash, transfers_count, "
            "expired_through, next_expiry) VALUES (1, 0, %s, 0, 0, NULL) "
            "ON CONFLICT (id) DO NOTHING",
            [GENESIS_HASH],
        )


def _write(
    head: selectors.HeadState,
    decision: Decision,
    expired: Sequence[StoredTransfer],
    accounts: dict[int, AccountState],
    first_ts: int,
    *,
    inline: bool = False,
) -> list[selectors.Statement]:
    """The statements that write a decided batch (the caller sends them with the audit event's,
    in one round trip on PostgreSQL), and `head` advanced to what they write. A large batch's
    transfers go by COPY first (PostgreSQL), or, `inline`, as one more statement."""
    created = decision.created
    prev = head.last_hash
    rows: list[tuple[Any, ...]] = []
    zero = id_text(0)
    chain = journal_chain(head.last_hash, created)
    for t, (prev, id_, debit, credit) in zip(created, chain, strict=True):
        rows.append(
            (
                # id_text, from the decimal texts the hash was made of
                id_.zfill(ID_DIGITS),
                debit.zfill(ID_DIGITS),
                credit.zfill(ID_DIGITS),
                t.amount,
                t.ledger,
                t.code,
                t.flags,
                id_text(t.pending_id) if t.pending_id else zero,
                t.timeout,
                id_text(t.user_data_128) if t.user_data_128 else zero,
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
    statements: list[selectors.Statement] = []
    if rows:
        if inline:
            statements.append(_transfers_insert_sql(rows))
        elif connection.vendor == "postgresql" and len(rows) > SMALL_BATCH:
            _copy_transfers(rows)
        else:
            statements += _insert_rows("ledger_transfer", TRANSFER_INSERT_COLUMNS, rows)
    if new_pending:
        statements += _insert_rows(
            "ledger_pendingtransfer", ("transfer_id", "status", "expires_at"), new_pending
        )
    for status, pending_id in status_updates:
        statements.append(
            (
                "UPDATE ledger_pendingtransfer SET status = %s WHERE transfer_id = %s",
                [status, pending_id],
            )
        )
    statements += _balances_sql(touched)
    head_sql = (
        "UPDATE ledger_ledgerhead SET last_hash = %s, transfers_count = %s, "
        "last_timestamp = %s, expired_through = %s"
    )
    if new_pending or status_updates:
        # The earliest timeout still pending, with this batch's statuses written.
        head_sql += (
            ", next_expiry = (SELECT min(expires_at) FROM ledger_pendingtransfer "  # noqa: S608 - fixed SQL
            f"WHERE status = {PendingStatus.PENDING} AND expires_at IS NOT NULL)"
        )
    statements.append(
        (
            head_sql + " WHERE id = 1",
            [head.last_hash, head.transfers_count, head.last_timestamp, head.expired_through],
        )
    )
    return statements


def _copy_transfers(rows: list[tuple[Any, ...]]) -> None:
    """Large batches travel by COPY (PostgreSQL), before the rest of the batch's statements."""
    columns = ", ".join(TRANSFER_INSERT_COLUMNS)
    # Django's error classes, with psycopg's error as the cause: a taken id must reach
    # _run_attempts as the IntegrityError it retries on, reading the ids.
    with (
        connection.wrap_database_errors,
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY ledger_transfer ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


# The SQL types of TRANSFER_INSERT_COLUMNS, for the arrays an inline INSERT unnests.
_TRANSFER_COLUMN_TYPES = (
    "text", "text", "text", "bigint", "bigint", "integer", "integer",
    "text", "bigint", "text", "bigint", "bigint", "bigint", "text",
)  # fmt: skip


def _transfers_insert_sql(rows: list[tuple[Any, ...]]) -> selectors.Statement:
    """A large batch's transfers as one statement (PostgreSQL), to travel with the batch's other
    statements where COPY cannot: each column as one comma-separated text, split by the server.
    Every value is a number, or a text of digits (ids) or hex digits (hashes)."""
    columns = []
    for column, sql_type in zip(zip(*rows, strict=True), _TRANSFER_COLUMN_TYPES, strict=True):
        if sql_type == "text":
            columns.append(",".join(column))
        elif column.count(column[0]) == len(column):  # one value (a ledger, a code): said once
            columns.append(",".join([str(column[0])] * len(column)))
        else:
            columns.append(",".join(map(str, column)))
    arrays = ", ".join(
        f"string_to_array(%s, ',')::{sql_type}[]" for sql_type in _TRANSFER_COLUMN_TYPES
    )
    return (
        f"INSERT INTO ledger_transfer ({', '.join(TRANSFER_INSERT_COLUMNS)}) "  # noqa: S608 - fixed names
        f"SELECT * FROM unnest({arrays})",
        columns,
    )


# Rows per multi-row INSERT statement (SQLite allows 32,766 parameters per statement).
INSERT_CHUNK = 500


def _insert_rows(
    table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> list[selectors.Statement]:
    """Multi-row INSERT statements for `rows`, INSERT_CHUNK rows each (PostgreSQL: they join
    the round trip's one query); one executemany on SQLite."""
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    if connection.vendor != "postgresql":
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {one}"  # noqa: S608 - fixed names
        return [selectors.Many(sql, rows)]
    statements: list[selectors.Statement] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        statements.append(
            (
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 - fixed names
                + ", ".join([one] * len(chunk)),
                [value for row in chunk for value in row],
            )
        )
    return statements


def _balances_sql(touched: list[AccountState]) -> list[selectors.Statement]:
    """One statement for all touched accounts on PostgreSQL (an UPDATE joined to unnest()ed
    arrays); on SQLite one prepared UPDATE run once per account."""
    if not touched:
        return []
    if connection.vendor == "postgresql":
        columns = (
            [id_text(a.id) for a in touched],
            [str(a.flags) for a in touched],
            [str(a.debits_pending) for a in touched],
            [str(a.debits_posted) for a in touched],
            [str(a.credits_pending) for a in touched],
            [str(a.credits_posted) for a in touched],
        )
        # Each column travels as one comma-separated text, split by the server.
        return [
            (
                "UPDATE ledger_account AS a SET flags = v.flags, debits_pending = v.dp, "  # noqa: S608 - ids are digits (id_bounds)
                "debits_posted = v.dpo, credits_pending = v.cp, credits_posted = v.cpo "
                "FROM unnest(string_to_array(%s, ','), string_to_array(%s, ',')::integer[], "
                "string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bigint[], "
                "string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bigint[]) "
                "AS v(id, flags, dp, dpo, cp, cpo) WHERE a.id = v.id "
                # See selectors.id_bounds: else the whole table may be scanned for the join.
                f"AND ({selectors.id_bounds('a.id', (a.id for a in touched))})",
                [",".join(column) for column in columns],
            )
        ]
    return [
        selectors.Many(
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
    ]


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
