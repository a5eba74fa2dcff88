"""audit_template: an audit event with values known only inside the database left as markers.
Filling the markers in must give exactly the bytes audit_record hashes."""

import json
from datetime import UTC, datetime

from minga.core.auditchain import audit_canonical_bytes
from minga.core.services import audit_template

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def fill(text, template, values, seq):
    for key, value in values.items():
        text = text.replace(template.markers[key], str(value))
    return text.replace(template.seq_marker, str(seq))


def test_filling_the_markers_gives_the_canonical_bytes_of_the_event():
    after = {"created": 3, "refused": 0}
    template = audit_template(
        actor="operator ñandú",
        action="ledger.transfers_create",
        object_type="ledger.transfer",
        object_id=17,
        after=after,
        deferred_ints=("first_timestamp", "transfers_count"),
        deferred_texts=("journal_hash",),
        now=NOW,
    )
    values = {
        "first_timestamp": 1_780_000_000_000_000_001,
        "transfers_count": 9,
        "journal_hash": "ab" * 32,
    }

    canonical = fill(template.canonical, template, values, seq=42)

    expected = audit_canonical_bytes(
        seq=42,
        at=NOW,
        actor_label="operator ñandú",
        action="ledger.transfers_create",
        object_type="ledger.transfer",
        object_id="17",
        before=None,
        after={**after, **values},
    )
    assert canonical.encode() == expected
    assert json.loads(fill(template.after, template, values, seq=42)) == {**after, **values}
    assert template.actor_id is None and template.actor_label == "operator ñandú"


def test_a_value_that_contains_a_marker_gives_no_template():
    template = audit_template(
        actor="@@deferred:journal_hash@@",
        action="ledger.transfers_create",
        object_type="ledger.transfer",
        object_id=1,
        after={"created": 1},
        deferred_texts=("journal_hash",),
        now=NOW,
    )

    assert template is None
