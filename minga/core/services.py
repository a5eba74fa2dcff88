"""Writes of the core: appending to the audit chain.

Every service in every app calls `audit_record` inside its own transaction, so the audit event
commits or rolls back with the write it describes."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from .models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def audit_canonical_bytes(
    *,
    seq: int,
    at: datetime,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
) -> bytes:
    """The bytes that an event's hash covers: sorted-key JSON without spaces, UTF-8, with the
    time in UTC ISO 8601 to the microsecond. Documented in docs/audit.md so that anyone can
    recompute the chain from the public export."""
    assert at.tzinfo is not None, "audit times are timezone-aware"
    payload = {
        "seq": seq,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def audit_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def _jsonable(value: Any) -> Any:
    """Round-trips through JSON so what is hashed is exactly what the database gives back."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


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
    actor_obj = actor if getattr(actor, "pk", None) is not None else None
    actor_label = actor_obj.get_username() if actor_obj is not None else str(actor or "system")
    before_j, after_j = _jsonable(before), _jsonable(after)
    seq = head.last_seq + 1
    digest = audit_hash(
        head.last_hash,
        audit_canonical_bytes(
            seq=seq,
            at=now,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=before_j,
            after=after_j,
        ),
    )
    event = AuditEvent.objects.create(
        seq=seq,
        at=now,
        actor=actor_obj,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before_j,
        after=after_j,
        prev_hash=head.last_hash,
        hash=digest,
    )
    head.last_seq, head.last_hash = seq, digest
    head.save(update_fields=["last_seq", "last_hash"])
    return event
