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


CASES = [
    # (actor, object_id, after)
    ("operator", 17, {"created": 1, "refused": 0}),
    ("operator", "@@deferred:journal_hash@@", {"created": 1}),  # an id holding a marker
    ("operator", "x-9100000000000000000", {"created": 1}),  # an id holding the seq marker
    ("0001-01-01T00:00:00.000000Z", 5, {"created": 1}),  # an actor holding the time sentinel
    ("operator", '"@@object_id@@"', {"created": 1}),  # an id holding the id sentinel
    ("operator", 'quote " and \\ ñ', {"created": 1}),
    ("operator", 6, {"created": 1.0}),  # equal to 1 as a key, not as JSON
    ("operator", 7, {"created": [1, 2]}),  # not a key at all
]


def test_a_template_reused_for_another_time_and_object_equals_one_computed_in_full():
    from minga.core import services

    services._TEMPLATE_SHAPES.clear()
    first = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    for round_ in range(2):  # the second round reuses what the first computed
        for actor, object_id, after in CASES:
            arguments = {
                "actor": actor,
                "action": "ledger.transfers_create",
                "object_type": "ledger.transfer",
                "object_id": object_id,
                "after": after,
                "deferred_ints": ("first_timestamp",),
                "deferred_texts": ("journal_hash",),
                "now": NOW if round_ else first,
            }
            assert audit_template(**arguments) == services._audit_template(**arguments), (
                actor,
                object_id,
                after,
            )
    assert services._TEMPLATE_SHAPES  # reused, not recomputed


def test_templates_kept_are_bounded():
    from minga.core import services

    services._TEMPLATE_SHAPES.clear()
    for n in range(services._TEMPLATE_SHAPES_MAX + 10):
        audit_template(
            actor=f"actor {n}",
            action="a",
            object_type="t",
            object_id=n,
            after={},
            now=NOW,
        )
    assert len(services._TEMPLATE_SHAPES) <= services._TEMPLATE_SHAPES_MAX


def test_the_time_text_is_what_strftime_gives():
    from datetime import timedelta, timezone

    from minga.core.auditchain import audit_time_text

    for when in (
        datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(999, 12, 31, 1, 2, 3, tzinfo=UTC),
        datetime(1000, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    ):
        expected = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert audit_time_text(when) == expected
