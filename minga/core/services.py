"""Writes of the core: appending to the audit chain.

Every service in every app calls `audit_record` inside its own transaction, so the audit event
commits or rolls back with the write it describes."""

import json
from datetime import datetime
from typing import Any

from django.db import connection

from .auditchain import GENESIS_HASH, audit_canonical_bytes, audit_hash
from .models import AuditChainHead, AuditEvent


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
