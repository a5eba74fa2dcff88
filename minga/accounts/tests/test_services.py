from datetime import timedelta

import pyotp
import pytest
from django.contrib.auth.hashers import check_password

from minga.accounts.auth import token_digest
from minga.accounts.models import APIToken, LoginAttempt, RoleAssignment, TOTPDevice, User
from minga.accounts.services import (
    TOKEN_PREFIX,
    PasswordInvalid,
    RoleAlreadyHeld,
    RoleNotActive,
    RoleNotHeld,
    RolePeriodInvalid,
    RoleScopeInvalid,
    TokenAlreadyRevoked,
    TOTPAlreadyConfirmed,
    TOTPCodeInvalid,
    TOTPCodeReplayed,
    TOTPNotEnrolled,
    UnknownRole,
    UsernameInvalid,
    UsernameTaken,
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
from minga.accounts.tests.helpers import (
    NOW,
    PASSWORD,
    give_role,
    make_organization,
    make_user,
    territory_tree,
)
from minga.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def code_at(secret: str, moment) -> str:
    return pyotp.TOTP(secret).at(moment)


# --- users -------------------------------------------------------------------------------------


def test_a_user_is_created_with_a_hashed_password_and_an_audit_event():
    user = make_user("ana", email="ana@example.org")

    stored = User.objects.get(pk=user.pk)
    assert stored.password != PASSWORD
    assert check_password(PASSWORD, stored.password)
    assert stored.date_joined == NOW
    event = AuditEvent.objects.get(action="user.create")
    assert event.object_id == str(user.pk)
    assert event.after == {
        "username": "ana",
        "is_active": True,
        "is_staff": False,
        "is_superuser": False,
    }


def test_a_username_taken_in_another_case_is_refused_and_nothing_is_created():
    make_user("ana")

    with pytest.raises(UsernameTaken, match=r"^Ya existe un usuario «ANA».$"):
        make_user("ANA")

    assert User.objects.count() == 1
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("  ", "El nombre de usuario es obligatorio."),
        ("ana maría", "El nombre de usuario solo admite letras, dígitos y @ . + - _"),
        ("a" * 151, "El nombre de usuario tiene más de 150 caracteres."),
    ],
)
def test_a_bad_username_is_refused_with_its_reason(username, message):
    with pytest.raises(UsernameInvalid) as caught:
        make_user(username)

    assert caught.value.message == message
    assert caught.value.field == "username"
    assert User.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_weak_password_is_refused_with_the_validators_reasons():
    with pytest.raises(PasswordInvalid) as caught:
        user_create(actor="test", username="ana", password="12345", now=NOW)

    assert caught.value.field == "password"
    assert caught.value.message == (
        "La contraseña es demasiado corta. Debe contener por lo menos 8 caracteres. "
        "Esta contraseña es demasiado común. Esta contraseña es completamente numérica."
    )
    assert User.objects.count() == 0


def test_the_audit_event_of_a_new_user_carries_no_password_hash():
    user = make_user("ana")

    event = AuditEvent.objects.get(action="user.create")
    assert user.password not in str(event.after)
    assert "password" not in event.after


# --- roles -------------------------------------------------------------------------------------


def test_an_official_role_is_assigned_for_a_territory_with_its_period():
    t = territory_tree()
    user = make_user()

    assignment = role_assign(
        actor="test",
        user=user,
        role="official",
        territory=t["cotacachi"],
        active_from=NOW,
        active_to=NOW + timedelta(days=730),
        now=NOW,
    )

    assert RoleAssignment.objects.get(pk=assignment.pk).territory == t["cotacachi"]
    event = AuditEvent.objects.get(action="role.assign")
    assert event.after == {
        "user": "ana",
        "role": "official",
        "territory": "EC:1003",
        "organization": None,
        "active_from": NOW.isoformat(),
        "active_to": (NOW + timedelta(days=730)).isoformat(),
    }


@pytest.mark.parametrize(
    ("role", "scope", "message", "field"),
    [
        ("official", {}, "Este rol requiere un territorio.", "territory"),
        ("council_member", {}, "Este rol requiere un territorio.", "territory"),
        ("delegate", {}, "Un rol de delegado/a requiere una organización.", "organization"),
        (
            "delegate",
            {"territory": "cotacachi", "organization": "org"},
            "Un rol de delegado/a se asigna a una organización, no a un territorio.",
            "territory",
        ),
        (
            "official",
            {"territory": "cotacachi", "organization": "org"},
            "Solo el rol de delegado/a se asigna a una organización.",
            "organization",
        ),
        (
            "administrator",
            {"territory": "cotacachi"},
            "El rol de administrador/a vale en todo el sistema: no lleva territorio.",
            "territory",
        ),
    ],
)
def test_a_role_with_the_wrong_scope_is_refused_and_nothing_is_assigned(
    role, scope, message, field
):
    t = territory_tree()
    org = make_organization("Cooperativa Quiroga", t["quiroga"])
    user = make_user()
    events_before = AuditEvent.objects.count()
    objects = {"cotacachi": t["cotacachi"], "org": org}

    with pytest.raises(RoleScopeInvalid) as caught:
        role_assign(
            actor="test",
            user=user,
            role=role,
            active_from=NOW,
            now=NOW,
            **{k: objects[v] for k, v in scope.items()},
        )

    assert caught.value.message == message
    assert caught.value.field == field
    assert RoleAssignment.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_an_unknown_role_is_refused():
    user = make_user()

    with pytest.raises(UnknownRole, match=r"^Rol desconocido: «mayor».$"):
        role_assign(actor="test", user=user, role="mayor", active_from=NOW, now=NOW)

    assert RoleAssignment.objects.count() == 0


def test_a_period_that_ends_before_it_starts_is_refused():
    user = make_user()

    with pytest.raises(RolePeriodInvalid, match=r"^La fecha de fin debe ser posterior a la de"):
        role_assign(
            actor="test", user=user, role="auditor", active_from=NOW, active_to=NOW, now=NOW
        )

    assert RoleAssignment.objects.count() == 0


def test_the_same_role_and_scope_twice_in_overlapping_periods_is_refused():
    user = make_user()
    role_assign(
        actor="test",
        user=user,
        role="auditor",
        active_from=NOW,
        active_to=NOW + timedelta(days=10),
        now=NOW,
    )

    with pytest.raises(RoleAlreadyHeld):
        role_assign(
            actor="test",
            user=user,
            role="auditor",
            active_from=NOW + timedelta(days=9),
            now=NOW,
        )

    assert RoleAssignment.objects.count() == 1


def test_the_same_role_right_after_the_previous_period_is_allowed():
    user = make_user()
    role_assign(
        actor="test",
        user=user,
        role="auditor",
        active_from=NOW,
        active_to=NOW + timedelta(days=10),
        now=NOW,
    )

    role_assign(
        actor="test", user=user, role="auditor", active_from=NOW + timedelta(days=10), now=NOW
    )

    assert RoleAssignment.objects.count() == 2


def test_revoking_a_role_ends_it_now_and_records_before_and_after():
    user = make_user()
    assignment = give_role(user, "auditor")
    later = NOW + timedelta(hours=2)

    role_revoke(actor="test", assignment=assignment, now=later)

    assignment.refresh_from_db()
    assert assignment.active_to == later
    event = AuditEvent.objects.get(action="role.revoke")
    assert event.before["active_to"] is None
    assert event.after["active_to"] == later.isoformat()


def test_revoking_a_role_that_has_not_started_withdraws_it():
    user = make_user()
    assignment = role_assign(
        actor="test", user=user, role="auditor", active_from=NOW + timedelta(days=3), now=NOW
    )

    result = role_revoke(actor="test", assignment=assignment, now=NOW)

    assert result is None
    assert RoleAssignment.objects.count() == 0
    assert AuditEvent.objects.get(action="role.revoke").after is None


def test_revoking_a_role_that_already_ended_is_refused_and_changes_nothing():
    user = make_user()
    assignment = give_role(user, "auditor")
    role_revoke(actor="test", assignment=assignment, now=NOW)
    events_before = AuditEvent.objects.count()

    with pytest.raises(RoleNotActive, match=r"^Este rol ya terminó\.$"):
        role_revoke(actor="test", assignment=assignment, now=NOW + timedelta(hours=1))

    assignment.refresh_from_db()
    assert assignment.active_to == NOW
    assert AuditEvent.objects.count() == events_before


# --- TOTP --------------------------------------------------------------------------------------


def test_enrolment_creates_an_unconfirmed_device_with_a_random_base32_secret():
    user = make_user()

    enrolment = totp_enrol(user=user, now=NOW)

    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed_at is None
    assert device.secret == enrolment.secret
    assert len(enrolment.secret) == 32
    assert set(enrolment.secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert enrolment.provisioning_uri == (
        f"otpauth://totp/Minga:ana?secret={enrolment.secret}&issuer=Minga"
    )
    event = AuditEvent.objects.get(action="totp.enrol")
    assert enrolment.secret not in str(event.after)


def test_enrolling_again_before_confirming_replaces_the_secret():
    user = make_user()
    first = totp_enrol(user=user, now=NOW)

    second = totp_enrol(user=user, now=NOW + timedelta(minutes=1))

    assert second.secret != first.secret
    assert TOTPDevice.objects.get(user=user).secret == second.secret
    assert TOTPDevice.objects.count() == 1


def test_the_first_valid_code_confirms_the_device():
    user = make_user()
    secret = totp_enrol(user=user, now=NOW).secret

    totp_confirm(user=user, code=code_at(secret, NOW), now=NOW)

    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed_at == NOW
    assert device.last_used_step == int(NOW.timestamp()) // 30


def test_a_wrong_confirmation_code_leaves_the_device_unconfirmed():
    user = make_user()
    secret = totp_enrol(user=user, now=NOW).secret
    wrong = f"{(int(code_at(secret, NOW)) + 1) % 1_000_000:06d}"

    with pytest.raises(TOTPCodeInvalid, match=r"^El código no es correcto o ha caducado.$"):
        totp_confirm(user=user, code=wrong, now=NOW)

    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed_at is None
    assert device.last_used_step == 0


def test_a_confirmed_device_cannot_be_replaced_by_enrolling_again():
    user = make_user()
    secret = totp_enrol(user=user, now=NOW).secret
    totp_confirm(user=user, code=code_at(secret, NOW), now=NOW)

    with pytest.raises(TOTPAlreadyConfirmed):
        totp_enrol(user=user, now=NOW + timedelta(minutes=1))

    assert TOTPDevice.objects.get(user=user).secret == secret


def _confirmed(user, at=NOW):
    """A device confirmed five minutes before `at`."""
    earlier = at - timedelta(minutes=5)
    secret = totp_enrol(user=user, now=earlier).secret
    totp_confirm(user=user, code=code_at(secret, earlier), now=earlier)
    return secret


def test_a_good_code_is_accepted_and_its_step_is_burnt():
    user = make_user()
    secret = _confirmed(user)

    totp_verify(user=user, code=code_at(secret, NOW), now=NOW)

    assert TOTPDevice.objects.get(user=user).last_used_step == int(NOW.timestamp()) // 30
    assert AuditEvent.objects.filter(action="totp.verify").count() == 1


def test_the_same_code_used_twice_is_refused_as_a_replay():
    user = make_user()
    secret = _confirmed(user)
    code = code_at(secret, NOW)
    totp_verify(user=user, code=code, now=NOW)

    with pytest.raises(TOTPCodeReplayed, match=r"^Este código ya se usó. Espera al siguiente.$"):
        totp_verify(user=user, code=code, now=NOW + timedelta(seconds=5))

    assert AuditEvent.objects.filter(action="totp.verify").count() == 1


def test_a_code_older_than_the_last_one_used_is_refused_as_a_replay():
    user = make_user()
    secret = _confirmed(user)
    totp_verify(user=user, code=code_at(secret, NOW), now=NOW)

    with pytest.raises(TOTPCodeReplayed):
        totp_verify(user=user, code=code_at(secret, NOW - timedelta(seconds=30)), now=NOW)


@pytest.mark.parametrize("offset_s", [-30, 30])
def test_a_code_one_step_either_side_is_accepted_for_clock_drift(offset_s):
    user = make_user()
    secret = _confirmed(user)

    totp_verify(user=user, code=code_at(secret, NOW + timedelta(seconds=offset_s)), now=NOW)

    expected_step = int(NOW.timestamp()) // 30 + offset_s // 30
    assert TOTPDevice.objects.get(user=user).last_used_step == expected_step


@pytest.mark.parametrize("offset_s", [-60, 60])
def test_a_code_two_steps_away_is_refused(offset_s):
    user = make_user()
    secret = _confirmed(user)
    step_before = TOTPDevice.objects.get(user=user).last_used_step

    with pytest.raises(TOTPCodeInvalid):
        totp_verify(user=user, code=code_at(secret, NOW + timedelta(seconds=offset_s)), now=NOW)

    assert TOTPDevice.objects.get(user=user).last_used_step == step_before


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "１２３４５６", ""])  # noqa: RUF001 - full-width digits are the point
def test_a_code_that_is_not_six_digits_is_refused_with_that_reason(code):
    user = make_user()
    _confirmed(user)

    with pytest.raises(TOTPCodeInvalid, match=r"^El código tiene 6 dígitos.$"):
        totp_verify(user=user, code=code, now=NOW)


def test_a_code_with_spaces_is_read_without_them():
    user = make_user()
    secret = _confirmed(user)
    code = code_at(secret, NOW)

    totp_verify(user=user, code=f" {code[:3]} {code[3:]} ", now=NOW)

    assert TOTPDevice.objects.get(user=user).last_used_step == int(NOW.timestamp()) // 30


def test_verifying_without_a_confirmed_device_is_refused():
    user = make_user()
    totp_enrol(user=user, now=NOW)

    with pytest.raises(TOTPNotEnrolled):
        totp_verify(user=user, code="123456", now=NOW)


def test_confirming_without_a_device_is_refused():
    user = make_user()

    with pytest.raises(
        TOTPNotEnrolled, match=r"^Primero configura la aplicación de autenticación.$"
    ):
        totp_confirm(user=user, code="123456", now=NOW)


def test_a_preconfirmed_device_with_a_known_secret_accepts_codes_at_once():
    user = make_user()
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

    totp_enrol(user=user, now=NOW, secret=secret, preconfirmed=True)
    totp_verify(user=user, code=code_at(secret, NOW), now=NOW)

    assert TOTPDevice.objects.get(user=user).confirmed_at == NOW


# --- tokens ------------------------------------------------------------------------------------


def test_a_token_is_returned_once_and_only_its_hash_is_stored():
    user = make_user()
    give_role(user, "operator")

    issued = token_create(actor="test", user=user, role="operator", name="ledger bot", now=NOW)

    assert issued.clear.startswith(TOKEN_PREFIX)
    assert len(issued.clear) == len(TOKEN_PREFIX) + 43
    stored = APIToken.objects.get()
    assert stored.key_sha256 == token_digest(issued.clear)
    assert stored.prefix == issued.clear[4:12]
    stored_values = [str(v) for v in APIToken.objects.values_list().get()]
    assert issued.clear not in stored_values
    event = AuditEvent.objects.get(action="token.create")
    assert event.after == {
        "user": "ana",
        "role": "operator",
        "name": "ledger bot",
        "prefix": stored.prefix,
        "revoked_at": None,
    }
    assert stored.key_sha256 not in str(event.after)


def test_a_token_for_a_role_the_user_does_not_hold_is_refused():
    user = make_user()

    with pytest.raises(RoleNotHeld, match=r"^El usuario «ana» no tiene el rol «operator».$"):
        token_create(actor="test", user=user, role="operator", now=NOW)

    assert APIToken.objects.count() == 0
    assert AuditEvent.objects.filter(action="token.create").count() == 0


def test_a_token_for_an_unknown_role_is_refused():
    user = make_user()

    with pytest.raises(UnknownRole):
        token_create(actor="test", user=user, role="root", now=NOW)

    assert APIToken.objects.count() == 0


def test_revoking_a_token_stamps_it_and_revoking_again_is_refused():
    user = make_user()
    give_role(user, "operator")
    token = token_create(actor="test", user=user, role="operator", now=NOW).token

    token_revoke(actor="test", token=token, now=NOW + timedelta(hours=1))

    token.refresh_from_db()
    assert token.revoked_at == NOW + timedelta(hours=1)
    with pytest.raises(TokenAlreadyRevoked, match=f"^El token mgt_{token.prefix} ya estaba"):
        token_revoke(actor="test", token=token, now=NOW + timedelta(hours=2))
    token.refresh_from_db()
    assert token.revoked_at == NOW + timedelta(hours=1)
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1


# --- sign-in attempts --------------------------------------------------------------------------


def test_a_failed_attempt_is_recorded_without_naming_the_username_in_the_audit_log():
    login_attempt_record(username="nadie", ip="10.0.0.1", succeeded=False, now=NOW)

    attempt = LoginAttempt.objects.get()
    assert (attempt.username, attempt.ip, attempt.at, attempt.succeeded) == (
        "nadie",
        "10.0.0.1",
        NOW,
        False,
    )
    event = AuditEvent.objects.get(action="login.failed")
    assert event.actor_label == "anonymous"
    assert event.after == {"succeeded": False}


def test_a_successful_attempt_sets_last_login_and_names_the_user_as_actor():
    user = make_user()

    login_attempt_record(username="ana", ip=None, succeeded=True, user=user, now=NOW)

    user.refresh_from_db()
    assert user.last_login == NOW
    assert AuditEvent.objects.get(action="login.succeeded").actor_id == user.pk
