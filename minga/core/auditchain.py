"""The audit chain's hash, as pure functions: services append with them, selectors verify with
them, and anyone can recompute the chain from an export with the same few lines."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

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
        "at": audit_time_text(at),
        "actor": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def audit_time_text(at: datetime) -> str:
    """An event's time as its canonical bytes carry it: UTC, ISO 8601, to the microsecond (what
    strftime("%Y-%m-%dT%H:%M:%S.%fZ") gives; isoformat is the same from year 1000 on, and
    several times faster)."""
    utc = at.astimezone(UTC)
    if utc.year < 1000:  # strftime gives no leading zeros to %Y here
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def audit_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()
