"""Writes of the core: appending to the audit chain.

Every service in every app calls `audit_record` inside its own transaction, so the audit event
commits or rolls back with the write it describes."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from .auditchain import GENESIS_HASH, audit_canonical_bytes, audit_hash, audit_time_text
from .models import AuditChainHead, AuditEvent


def _jsonable(value: Any) -> Any:
    """Round-trips through JSON so what is hashed is exactly what the database gives back."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


@dataclass(frozen=True)
class AuditHead:
    """The audit chain's head as the caller locked it (see AUDIT_HEAD_LOCK_SQL)."""

    last_seq: int
    last_hash: str


def audit_head_lock_sql() -> str:
    """The statement that locks the audit chain's head and returns (last_seq, last_hash), for a
    caller that sends it together with its own statements (one round trip). It returns no row
    before the first event: the caller then uses `audit_record`."""
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    return f"SELECT last_seq, last_hash FROM core_auditchainhead WHERE id = 1{lock}"  # noqa: S608 - fixed SQL


def _audit_fields(
    *, actor: Any, action: str, object_type: str, object_id: object, before: Any, after: Any
) -> dict[str, Any]:
    """An event's fields as stored and hashed, but for its place in the chain."""
    actor_obj = actor if getattr(actor, "pk", None) is not None else None
    return {
        "actor": actor_obj,
        "actor_label": (
            actor_obj.get_username() if actor_obj is not None else str(actor or "system")
        ),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": _jsonable(before),
        "after": _jsonable(after),
    }


def _audit_event(
    *,
    head: AuditHead,
    actor: Any,
    action: str,
    object_type: str,
    object_id: object,
    before: Any,
    after: Any,
    now: datetime,
) -> dict[str, Any]:
    """The fields of the event that follows `head`, its hash included."""
    fields = _audit_fields(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
    seq = head.last_seq + 1
    digest = audit_hash(
        head.last_hash,
        audit_canonical_bytes(
            seq=seq,
            at=now,
            actor_label=fields["actor_label"],
            action=action,
            object_type=object_type,
            object_id=fields["object_id"],
            before=fields["before"],
            after=fields["after"],
        ),
    )
    return {**fields, "seq": seq, "at": now, "prev_hash": head.last_hash, "hash": digest}


def audit_append_statements(
    *,
    head: AuditHead,
    actor: Any,
    action: str,
    object_type: str,
    object_id: object,
    before: Any = None,
    after: Any = None,
    now: datetime,
) -> list[tuple[str, list[Any]]]:
    """The statements that append one event after `head`, which the caller has locked in its
    transaction: the same event `audit_record` would write, for a caller that sends them
    together with its own writes (one round trip instead of three)."""
    e = _audit_event(
        head=head,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        now=now,
    )
    json_param = "%s::jsonb" if connection.vendor == "postgresql" else "%s"

    def as_json(value: Any) -> str | None:
        return None if value is None else json.dumps(value)

    return [
        (
            "INSERT INTO core_auditevent (seq, at, actor_id, actor_label, action, object_type, "  # noqa: S608 - fixed SQL
            f"object_id, before, after, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, "
            f"{json_param}, {json_param}, %s, %s)",
            [
                e["seq"],
                connection.ops.adapt_datetimefield_value(now),
                e["actor"].pk if e["actor"] is not None else None,
                e["actor_label"],
                action,
                object_type,
                e["object_id"],
                as_json(e["before"]),
                as_json(e["after"]),
                e["prev_hash"],
                e["hash"],
            ],
        ),
        (
            "UPDATE core_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
            [e["seq"], e["hash"]],
        ),
    ]


@dataclass(frozen=True)
class AuditTemplate:
    """An audit event prepared for minga_audit_append() (PostgreSQL): its canonical bytes and
    its `after`, both as text with markers where the values known only inside the database go
    (the caller's deferred `after` keys, then the sequence number, which the function assigns
    under the head lock). `replace` pairs each deferred key with its marker."""

    canonical: str
    after: str
    markers: dict[str, str]
    seq_marker: str
    actor_id: int | None
    actor_label: str


# Markers: integers no real value takes (below -9 * 10**18 is outside every deferred field's
# range: timestamps, counts and sequence numbers are never negative); a string marker for text.
_INT_MARKER = -9_100_000_000_000_000_000
_TEXT_MARKER = "@@deferred:{}@@"


# Templates already computed, by everything but the event's time and object id, which stand in
# them as these two sentinels (see audit_template). Bounded: cleared when full.
_TEMPLATE_SHAPES: dict[tuple[Any, ...], AuditTemplate | None] = {}
_TEMPLATE_SHAPES_MAX = 256
_AT_SENTINEL = datetime(1, 1, 1, tzinfo=UTC)
_AT_SENTINEL_TEXT = audit_time_text(_AT_SENTINEL)
_OBJECT_ID_SENTINEL = "@@object_id@@"
_NOT_YET: Any = object()


def audit_template(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: object,
    after: dict[str, Any],
    deferred_ints: Sequence[str] = (),
    deferred_texts: Sequence[str] = (),
    now: datetime,
) -> AuditTemplate | None:
    """The event audit_record would write, with the `after` values named in deferred_ints and
    deferred_texts left as markers for minga_audit_append() to fill in. None when a marker is
    not unique in the text (a value that happens to contain one): the caller then writes the
    event with audit_record once it knows the values.

    A writer sends one event per transfer, mostly alike but for their time and object id: the
    template of the rest is computed once (with sentinels for those two) and reused; whatever
    cannot be told apart from a sentinel or a marker is computed in full each time."""
    arguments: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "after": after,
        "deferred_ints": deferred_ints,
        "deferred_texts": deferred_texts,
    }
    try:
        actor_key = (
            ("user", actor.pk, actor.get_username())
            if getattr(actor, "pk", None) is not None
            else ("label", str(actor or "system"))
        )
        key: tuple[Any, ...] | None = (
            actor_key,
            action,
            object_type,
            # The type too: 1 and 1.0 are equal keys but different JSON.
            tuple((k, type(v), v) for k, v in sorted(after.items())),
            tuple(deferred_ints),
            tuple(deferred_texts),
        )
        hash(key)
    except TypeError:  # a value that cannot be a key (a list, a dict): computed in full
        key = None
    if key is None:
        return _audit_template(**arguments, object_id=object_id, now=now)
    # Read once into a local: a web server's threads share the dict, and another may clear it.
    shape = _TEMPLATE_SHAPES.get(key, _NOT_YET)
    if shape is _NOT_YET:
        shape = _audit_template(**arguments, object_id=_OBJECT_ID_SENTINEL, now=_AT_SENTINEL)
        quoted_sentinel = f'"{_OBJECT_ID_SENTINEL}"'
        if shape is not None and not (
            shape.canonical.count(_AT_SENTINEL_TEXT) == 1
            and shape.canonical.count(quoted_sentinel) == 1
            and _AT_SENTINEL_TEXT not in shape.after
            and _OBJECT_ID_SENTINEL not in shape.after
        ):
            shape = None
        if len(_TEMPLATE_SHAPES) >= _TEMPLATE_SHAPES_MAX:
            _TEMPLATE_SHAPES.clear()
        _TEMPLATE_SHAPES[key] = shape
    object_text = json.dumps(str(object_id), ensure_ascii=False)
    if shape is None or any(
        marker in object_text for marker in (*shape.markers.values(), shape.seq_marker)
    ):
        return _audit_template(**arguments, object_id=object_id, now=now)
    canonical = shape.canonical.replace(_AT_SENTINEL_TEXT, audit_time_text(now)).replace(
        f'"{_OBJECT_ID_SENTINEL}"', object_text
    )
    return AuditTemplate(
        canonical, shape.after, shape.markers, shape.seq_marker, shape.actor_id, shape.actor_label
    )


def _audit_template(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: object,
    after: dict[str, Any],
    deferred_ints: Sequence[str] = (),
    deferred_texts: Sequence[str] = (),
    now: datetime,
) -> AuditTemplate | None:
    """audit_template computed in full."""
    values: dict[str, Any] = dict(after)
    markers: dict[str, str] = {}
    for i, key in enumerate(deferred_ints):
        values[key] = _INT_MARKER - 1 - i
        markers[key] = str(values[key])
    for key in deferred_texts:
        values[key] = _TEXT_MARKER.format(key)
        markers[key] = json.dumps(values[key])[1:-1]
    fields = _audit_fields(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=None,
        after=values,
    )
    seq_marker = str(_INT_MARKER)
    canonical = audit_canonical_bytes(
        seq=_INT_MARKER,
        at=now,
        actor_label=fields["actor_label"],
        action=action,
        object_type=object_type,
        object_id=fields["object_id"],
        before=None,
        after=fields["after"],
    ).decode()
    after_text = json.dumps(
        fields["after"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    for marker in (*markers.values(), seq_marker):
        if canonical.count(marker) != 1 or after_text.count(marker) > 1:
            return None
    if after_text.count(seq_marker):
        return None
    actor_obj = fields["actor"]
    return AuditTemplate(
        canonical=canonical,
        after=after_text,
        markers=markers,
        seq_marker=seq_marker,
        actor_id=actor_obj.pk if actor_obj is not None else None,
        actor_label=fields["actor_label"],
    )


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: object,
    before: Any = None,
    after: Any = None,
    now: datetime,
) -> AuditEvent:
    """Appends one event to the chain. Must run inside the caller's transaction."""
    assert connection.in_atomic_block, "audit_record runs inside the write's own transaction"
    head, _created = AuditChainHead.objects.select_for_update().get_or_create(
        id=1, defaults={"last_seq": 0, "last_hash": GENESIS_HASH}
    )
    fields = _audit_event(
        head=AuditHead(last_seq=head.last_seq, last_hash=head.last_hash),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        now=now,
    )
    event = AuditEvent.objects.create(**fields)
    head.last_seq, head.last_hash = fields["seq"], fields["hash"]
    head.save(update_fields=["last_seq", "last_hash"])
    return event
