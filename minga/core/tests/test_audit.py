"""The audit chain (minga.core.services.audit_record, minga.core.selectors.audit_chain_verify)
and `minga verify audit`: every service writes one event; any edit or removal is found."""

import itertools
from datetime import timedelta

import pyotp
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from minga.accounts.services import (
    login_attempt_record,
    role_assign,
    role_revoke,
    token_create,
    token_revoke,
    totp_confirm,
    totp_enrol,
    totp_verify,
    user_create,
)
from minga.accounts.tests.helpers import NOW, PASSWORD, make_user
from minga.core.models import AuditChainHead, AuditEvent
from minga.core.selectors import BrokenLink, audit_chain_verify
from minga.core.services import GENESIS_HASH, audit_canonical_bytes, audit_hash, audit_record

pytestmark = pytest.mark.django_db


def events() -> int:
    return AuditEvent.objects.count()


def some_history() -> None:
    """Five audited writes through the accounts services."""
    user = make_user("ana")
    assignment = role_assign(
        actor=user, user=user, role="operator", active_from=NOW - timedelta(days=1), now=NOW
    )
    issued = token_create(actor=user, user=user, role="operator", now=NOW)
    token_revoke(actor=user, token=issued.token, now=NOW + timedelta(minutes=1))
    role_revoke(actor=user, assignment=assignment, now=NOW + timedelta(minutes=2))


def drop_append_only_triggers() -> None:
    # Only an attacker with direct database access could do this; the chain must still tell.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER core_auditevent_append_only ON core_auditevent")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute("DROP TRIGGER core_auditevent_no_delete")


# --- every service writes exactly one event ---------------------------------------------------


def test_each_accounts_service_writes_exactly_one_audit_event():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    later = NOW + timedelta(minutes=5)
    steps = []

    def step(name, call):
        before = events()
        result = call()
        steps.append((name, events() - before))
        return result

    user = step(
        "user_create", lambda: user_create(actor="t", username="ana", password=PASSWORD, now=NOW)
    )
    assignment = step(
        "role_assign",
        lambda: role_assign(
            actor="t", user=user, role="operator", active_from=NOW - timedelta(days=1), now=NOW
        ),
    )
    issued = step(
        "token_create", lambda: token_create(actor="t", user=user, role="operator", now=NOW)
    )
    step("token_revoke", lambda: token_revoke(actor="t", token=issued.token, now=NOW))
    step("role_revoke", lambda: role_revoke(actor="t", assignment=assignment, now=NOW))
    step("totp_enrol", lambda: totp_enrol(user=user, now=NOW, secret=secret))
    step("totp_confirm", lambda: totp_confirm(user=user, code=pyotp.TOTP(secret).at(NOW), now=NOW))
    step(
        "totp_verify", lambda: totp_verify(user=user, code=pyotp.TOTP(secret).at(later), now=later)
    )
    step(
        "login_attempt_record",
        lambda: login_attempt_record(username="ana", ip="10.0.0.1", succeeded=False, now=later),
    )

    assert steps == [
        ("user_create", 1),
        ("role_assign", 1),
        ("token_create", 1),
        ("token_revoke", 1),
        ("role_revoke", 1),
        ("totp_enrol", 1),
        ("totp_confirm", 1),
        ("totp_verify", 1),
        ("login_attempt_record", 1),
    ]
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "user.create",
        "role.assign",
        "token.create",
        "token.revoke",
        "role.revoke",
        "totp.enrol",
        "totp.confirm",
        "totp.verify",
        "login.failed",
    ]


def test_no_audit_payload_carries_a_secret_a_token_or_a_hash():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    user = make_user("ana")
    role_assign(actor="t", user=user, role="operator", active_from=NOW, now=NOW)
    issued = token_create(actor="t", user=user, role="operator", now=NOW)
    totp_enrol(user=user, now=NOW, secret=secret)

    payloads = " ".join(f"{e.before} {e.after}" for e in AuditEvent.objects.all())

    for forbidden in (secret, issued.clear, issued.token.key_sha256, user.password, PASSWORD):
        assert forbidden not in payloads


def test_an_event_written_outside_a_transaction_is_refused(monkeypatch):
    # pytest-django runs each test in a transaction; pretend to be in autocommit instead.
    monkeypatch.setattr(connections["default"], "in_atomic_block", False)

    with pytest.raises(AssertionError, match="inside the write's own transaction"):
        audit_record(actor="t", action="x", object_type="t", object_id=1, now=NOW)


def test_a_refused_write_leaves_no_audit_event():
    make_user("ana")
    before = events()

    with pytest.raises(Exception, match="Ya existe"):
        make_user("Ana")

    assert events() == before


# --- the chain ---------------------------------------------------------------------------------


def test_the_chain_of_real_writes_verifies_and_links_each_event_to_the_previous():
    some_history()

    report = audit_chain_verify()

    assert report.ok
    assert report.events == 5
    rows = list(AuditEvent.objects.order_by("seq"))
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (5, rows[-1].hash)


def test_an_event_hash_is_the_sha256_of_the_previous_hash_and_the_canonical_bytes():
    event = audit_record(
        actor="tester",
        action="thing.create",
        object_type="core.Thing",
        object_id=7,
        before=None,
        after={"b": 1, "a": "ñ"},
        now=NOW,
    )

    canonical = audit_canonical_bytes(
        seq=1,
        at=NOW,
        actor_label="tester",
        action="thing.create",
        object_type="core.Thing",
        object_id="7",
        before=None,
        after={"a": "ñ", "b": 1},
    )
    assert (
        canonical
        == (
            '{"action":"thing.create","actor":"tester","after":{"a":"ñ","b":1},'
            '"at":"2026-03-02T15:00:00.000000Z","before":null,"object_id":"7",'
            '"object_type":"core.Thing","seq":1}'
        ).encode()
    )
    assert event.hash == audit_hash(GENESIS_HASH, canonical)


def test_an_empty_log_verifies():
    assert audit_chain_verify().ok
    assert audit_chain_verify().events == 0


def test_verify_audit_prints_the_count_when_the_chain_is_intact(capsys):
    some_history()

    call_command("verify", "audit")

    assert capsys.readouterr().out.strip() == "audit chain intact: 5 events"


# --- the database refuses ordinary tampering ---------------------------------------------------


def test_updating_an_audit_event_is_refused_by_the_database():
    some_history()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(action="nothing.happened")

    assert AuditEvent.objects.get(seq=2).action == "role.assign"


def test_deleting_an_audit_event_is_refused_by_the_database():
    some_history()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=5).delete()

    assert events() == 5


# --- and the chain finds what gets past it -----------------------------------------------------


def test_an_edited_event_is_found_and_verify_exits_1_naming_it(capsys):
    some_history()
    drop_append_only_triggers()
    AuditEvent.objects.filter(seq=3).update(after={"role": "administrator"})

    with pytest.raises(SystemExit) as exit_:
        call_command("verify", "audit")

    assert exit_.value.code == 1
    assert capsys.readouterr().err.strip() == (
        "audit chain broken at event 3: the stored hash does not match the event's contents "
        "(2 events verified before it)"
    )


def test_an_edited_event_with_a_recomputed_hash_breaks_the_next_link():
    some_history()
    drop_append_only_triggers()
    third = AuditEvent.objects.get(seq=3)
    forged_canonical = audit_canonical_bytes(
        seq=3,
        at=third.at,
        actor_label=third.actor_label,
        action=third.action,
        object_type=third.object_type,
        object_id=third.object_id,
        before=third.before,
        after={"forged": True},
    )
    AuditEvent.objects.filter(seq=3).update(
        after={"forged": True}, hash=audit_hash(third.prev_hash, forged_canonical)
    )

    report = audit_chain_verify()

    assert report.broken == BrokenLink(4, "prev_hash does not match the previous event's hash")
    assert report.events == 3


def test_a_removed_event_in_the_middle_is_found():
    some_history()
    drop_append_only_triggers()
    AuditEvent.objects.filter(seq=2).delete()

    report = audit_chain_verify()

    assert report.broken == BrokenLink(2, "event 2 is missing")
    assert report.events == 1


def test_removing_the_last_event_is_found_and_verify_exits_1(capsys):
    some_history()
    drop_append_only_triggers()
    AuditEvent.objects.filter(seq=5).delete()

    with pytest.raises(SystemExit) as exit_:
        call_command("verify", "audit")

    assert exit_.value.code == 1
    assert capsys.readouterr().err.strip() == (
        "audit chain broken at event 5: event 5 is missing (4 events verified before it)"
    )


def test_a_changed_time_is_found():
    some_history()
    drop_append_only_triggers()
    AuditEvent.objects.filter(seq=1).update(at=NOW - timedelta(days=1))

    assert audit_chain_verify().broken == BrokenLink(
        1, "the stored hash does not match the event's contents"
    )


def test_a_removed_chain_head_is_found():
    some_history()
    AuditChainHead.objects.all().delete()

    assert audit_chain_verify().broken == BrokenLink(6, "the chain head is missing")
