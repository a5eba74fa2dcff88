"""Reads of the core: verifying the audit chain."""

from collections.abc import Iterator
from dataclasses import dataclass

from .auditchain import GENESIS_HASH, audit_canonical_bytes, audit_hash
from .models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def audit_events_in_order(*, batch_size: int = 2000) -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size)


def audit_chain_verify() -> ChainReport:
    """Recomputes every hash from the stored fields and stops at the first broken link: a
    changed event, a removed one (a gap in seq), or a prev_hash that is not its predecessor's."""
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for event in audit_events_in_order():
        if event.seq != expected_seq:
            return ChainReport(count, BrokenLink(expected_seq, f"event {expected_seq} is missing"))
        if event.prev_hash != prev_hash:
            return ChainReport(
                count, BrokenLink(event.seq, "prev_hash does not match the previous event's hash")
            )
        recomputed = audit_hash(
            prev_hash,
            audit_canonical_bytes(
                seq=event.seq,
                at=event.at,
                actor_label=event.actor_label,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                before=event.before,
                after=event.after,
            ),
        )
        if recomputed != event.hash:
            return ChainReport(
                count, BrokenLink(event.seq, "the stored hash does not match the event's contents")
            )
        prev_hash, expected_seq, count = event.hash, expected_seq + 1, count + 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is None and count > 0:
        # The head is written with every event: without it, removed newest events would pass.
        return ChainReport(count, BrokenLink(count + 1, "the chain head is missing"))
    if head is not None and (head.last_seq, head.last_hash) != (count, prev_hash):
        # The newest events were removed: the head still remembers them.
        return ChainReport(count, BrokenLink(count + 1, f"event {count + 1} is missing"))
    return ChainReport(count, None)


def audit_events_for(*, object_type: str, object_id: object) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)))
