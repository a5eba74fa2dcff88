"""Writes about accounts: users, roles, the second factor, API tokens and sign-in attempts.

Every function runs in one transaction and appends one audit event in it. Audit payloads never
carry secrets: no password, no password hash, no TOTP secret, no token and no token hash (the
audit log is meant to be exportable)."""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from minga.core.roles import Role
from minga.core.services import audit_record

from .auth import token_digest
from .models import APIToken, LoginAttempt, RoleAssignment, TOTPDevice, User
from .selectors import (
    TOTP_DIGITS,
    TOTP_ISSUER,
    TOTP_STEP_S,
    role_assignment_overlaps,
    totp_provisioning_uri,
    user_has_role,
    username_taken,
)

TOKEN_PREFIX = "mgt_"  # noqa: S105 - a marker that makes leaked tokens easy to scan for
# Roles whose scope is a territory and nothing else: they act for the bodies of that territory.
TERRITORY_ROLES = frozenset({Role.OFFICIAL, Role.COUNCIL_MEMBER})
# Roles that may optionally be scoped to a territory (where a resident lives, what an auditor
# audits, where an operator's machine writes).
OPTIONAL_TERRITORY_ROLES = frozenset({Role.RESIDENT, Role.AUDITOR, Role.OPERATOR})


class AccountError(Exception):
    """A refused account operation. `field` names the input at fault, for forms and the API."""

    field = ""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field or self.field


class UsernameInvalid(AccountError):
    field = "username"


class UsernameTaken(AccountError):
    field = "username"


class PasswordInvalid(AccountError):
    field = "password"


class UnknownRole(AccountError):
    field = "role"


class RoleScopeInvalid(AccountError):
    pass


class RolePeriodInvalid(AccountError):
    field = "active_to"


class RoleAlreadyHeld(AccountError):
    field = "role"


class RoleNotActive(AccountError):
    pass


class RoleNotHeld(AccountError):
    field = "role"


class TOTPAlreadyConfirmed(AccountError):
    pass


class TOTPNotEnrolled(AccountError):
    pass


class TOTPCodeInvalid(AccountError):
    field = "code"


class TOTPCodeReplayed(AccountError):
    field = "code"


class TokenNameInvalid(AccountError):
    field = "name"


class TokenAlreadyRevoked(AccountError):
    pass


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _user_audit(user: User) -> dict[str, Any]:
    # No e-mail (personal data) and never the password hash.
    return {
        "username": user.username,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


def _role_audit(assignment: RoleAssignment) -> dict[str, Any]:
    territory = assignment.territory
    return {
        "user": assignment.user.username,
        "role": assignment.role,
        "territory": f"{territory.country_code}:{territory.code}" if territory else None,
        "organization": assignment.organization_id,
        "active_from": _iso(assignment.active_from),
        "active_to": _iso(assignment.active_to),
    }


def _token_audit(token: APIToken) -> dict[str, Any]:
    # The prefix identifies a token to its owner; it is not enough to use it.
    return {
        "user": token.user.username,
        "role": token.role,
        "name": token.name,
        "prefix": token.prefix,
        "revoked_at": _iso(token.revoked_at),
    }


# --- users ------------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    now: datetime,
) -> User:
    """Creates an account. The password is hashed with the first of PASSWORD_HASHERS (Argon2 in
    production) and must pass AUTH_PASSWORD_VALIDATORS."""
    username = username.strip()
    if not username:
        raise UsernameInvalid(_("El nombre de usuario es obligatorio."))
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise UsernameInvalid(
            _("El nombre de usuario solo admite letras, dígitos y @ . + - _")
        ) from exc
    if len(username) > 150:
        raise UsernameInvalid(_("El nombre de usuario tiene más de 150 caracteres."))
    # Case-insensitively: "Ana" and "ana" would be the same person to everyone reading a page.
    if username_taken(username=username):
        raise UsernameTaken(_("Ya existe un usuario «%(username)s».") % {"username": username})
    user = User(
        username=username,
        email=email.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_staff=is_staff,
        is_superuser=is_superuser,
        date_joined=now,
    )
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise PasswordInvalid(" ".join(exc.messages)) from exc
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        object_type="accounts.User",
        object_id=user.pk,
        before=None,
        after=_user_audit(user),
        now=now,
    )
    return user


# --- roles ------------------------------------------------------------------------------------


def _check_role_scope(*, role: str, territory: Any, organization: Any) -> None:
    if role == Role.DELEGATE:
        if organization is None:
            raise RoleScopeInvalid(
                _("Un rol de delegado/a requiere una organización."), field="organization"
            )
        if territory is not None:
            raise RoleScopeInvalid(
                _("Un rol de delegado/a se asigna a una organización, no a un territorio."),
                field="territory",
            )
        return
    if organization is not None:
        raise RoleScopeInvalid(
            _("Solo el rol de delegado/a se asigna a una organización."), field="organization"
        )
    if role in TERRITORY_ROLES and territory is None:
        raise RoleScopeInvalid(_("Este rol requiere un territorio."), field="territory")
    if role == Role.ADMINISTRATOR and territory is not None:
        raise RoleScopeInvalid(
            _("El rol de administrador/a vale en todo el sistema: no lleva territorio."),
            field="territory",
        )


@transaction.atomic
def role_assign(
    *,
    actor: Any,
    user: User,
    role: str,
    territory: Any = None,
    organization: Any = None,
    active_from: datetime,
    active_to: datetime | None = None,
    now: datetime,
) -> RoleAssignment:
    """Gives `user` a role for the period [active_from, active_to). Officials and council members
    hold their role for a territory (and everything under it), delegates for an organisation,
    administrators everywhere."""
    if role not in Role.values:
        raise UnknownRole(_("Rol desconocido: «%(role)s».") % {"role": role})
    _check_role_scope(role=role, territory=territory, organization=organization)
    if active_to is not None and active_to <= active_from:
        raise RolePeriodInvalid(_("La fecha de fin debe ser posterior a la de inicio."))
    if role_assignment_overlaps(
        user=user,
        role=role,
        territory=territory,
        organization=organization,
        active_from=active_from,
        active_to=active_to,
    ):
        raise RoleAlreadyHeld(
            _("El usuario ya tiene este rol, con el mismo alcance, en ese periodo.")
        )
    assignment = RoleAssignment.objects.create(
        user=user,
        role=role,
        territory=territory,
        organization=organization,
        active_from=active_from,
        active_to=active_to,
    )
    audit_record(
        actor=actor,
        action="role.assign",
        object_type="accounts.RoleAssignment",
        object_id=assignment.pk,
        before=None,
        after=_role_audit(assignment),
        now=now,
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: Any, assignment: RoleAssignment, now: datetime) -> RoleAssignment | None:
    """Ends a role now. A role that has not started yet is withdrawn (deleted; the audit event
    keeps what it was). A role that has already ended is refused. Returns the ended assignment,
    or None when it was withdrawn."""
    locked = RoleAssignment.objects.select_for_update(of=("self",)).select_related(
        "user", "territory"
    )
    current = locked.get(pk=assignment.pk)
    if current.active_to is not None and current.active_to <= now:
        raise RoleNotActive(_("Este rol ya terminó."))
    before = _role_audit(current)
    result: RoleAssignment | None
    if current.active_from >= now:
        pk = current.pk
        current.delete()
        object_id, after, result = pk, None, None
    else:
        current.active_to = now
        current.save(update_fields=["active_to"])
        object_id, after, result = current.pk, _role_audit(current), current
    audit_record(
        actor=actor,
        action="role.revoke",
        object_type="accounts.RoleAssignment",
        object_id=object_id,
        before=before,
        after=after,
        now=now,
    )
    return result


# --- TOTP (RFC 6238) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    secret: str
    provisioning_uri: str


@transaction.atomic
def totp_enrol(
    *, user: User, now: datetime, secret: str | None = None, preconfirmed: bool = False
) -> Enrolment:
    """Creates the user's authenticator with a new random base32 secret (160 bits, as RFC 4226
    recommends), or replaces the secret of one not yet confirmed. A confirmed one is refused:
    replacing it would bypass the second factor.

    `secret` with `preconfirmed=True` provisions a device whose secret was handed over by other
    means (the demo's documented accounts): it is confirmed at once, no code is asked for."""
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise TOTPAlreadyConfirmed(_("La verificación en dos pasos ya está activada."))
    assert secret is not None or not preconfirmed, "only a known secret can be pre-confirmed"
    new_secret = secret if secret is not None else pyotp.random_base32(length=32)
    assert len(new_secret) >= 16, "a TOTP secret has at least 80 bits"
    confirmed_at = now if preconfirmed else None
    created = device is None
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, secret=new_secret, created_at=now, confirmed_at=confirmed_at
        )
    else:
        device.secret, device.last_used_step, device.created_at = new_secret, 0, now
        device.confirmed_at = confirmed_at
        device.save(update_fields=["secret", "last_used_step", "created_at", "confirmed_at"])
    audit_record(
        actor=user,
        action="totp.enrol",
        object_type="accounts.TOTPDevice",
        object_id=device.pk,
        before=None if created else {"user": user.username, "confirmed": False},
        after={"user": user.username, "confirmed": preconfirmed},
        now=now,
    )
    return Enrolment(device, new_secret, totp_provisioning_uri(user=user, secret=new_secret))


def _matching_step(*, secret: str, code: str, now: datetime) -> int | None:
    """The time step (RFC 6238: floor(unix time / 30)) whose code is `code`, looking one step
    either side of `now` for clock drift; the latest one if several match."""
    code = code.strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        raise TOTPCodeInvalid(_("El código tiene 6 dígitos."))
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_S, issuer=TOTP_ISSUER)
    current = int(now.timestamp()) // TOTP_STEP_S
    for step in (current + 1, current, current - 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_S), code):
            return step
    return None


def _accept_code(*, device: TOTPDevice, code: str, now: datetime) -> int:
    step = _matching_step(secret=device.secret, code=code, now=now)
    if step is None:
        raise TOTPCodeInvalid(_("El código no es correcto o ha caducado."))
    # A code is good once: its step, and every earlier one, cannot be used again.
    if step <= device.last_used_step:
        raise TOTPCodeReplayed(_("Este código ya se usó. Espera al siguiente."))
    return step


@transaction.atomic
def totp_confirm(*, user: User, code: str, now: datetime) -> TOTPDevice:
    """The first valid code from the user's app proves it holds the secret: the device is
    confirmed and 2FA is on from then on."""
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise TOTPNotEnrolled(_("Primero configura la aplicación de autenticación."))
    if device.confirmed_at is not None:
        raise TOTPAlreadyConfirmed(_("La verificación en dos pasos ya está activada."))
    step = _accept_code(device=device, code=code, now=now)
    device.confirmed_at, device.last_used_step = now, step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    audit_record(
        actor=user,
        action="totp.confirm",
        object_type="accounts.TOTPDevice",
        object_id=device.pk,
        before={"user": user.username, "confirmed": False},
        after={"user": user.username, "confirmed": True},
        now=now,
    )
    return device


@transaction.atomic
def totp_verify(*, user: User, code: str, now: datetime) -> TOTPDevice:
    """Checks a code against the user's confirmed device (RFC 6238, one step of drift either
    side) and burns its step, so that the same code, or an older one, is refused after."""
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is None:
        raise TOTPNotEnrolled(_("La verificación en dos pasos no está configurada."))
    step = _accept_code(device=device, code=code, now=now)
    before_step = device.last_used_step
    device.last_used_step = step
    device.save(update_fields=["last_used_step"])
    assert device.last_used_step > before_step
    audit_record(
        actor=user,
        action="totp.verify",
        object_type="accounts.TOTPDevice",
        object_id=device.pk,
        before=None,
        after={"user": user.username},
        now=now,
    )
    return device


# --- API tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: APIToken
    # The clear token: shown once to whoever asked for it, never stored.
    clear: str


@transaction.atomic
def token_create(
    *, actor: Any, user: User, role: str, name: str = "", now: datetime
) -> IssuedToken:
    """Issues an API token acting as `user` in `role`. The user must hold the role now (a token
    never grants more than its owner has); the token stops working when the role ends."""
    if role not in Role.values:
        raise UnknownRole(_("Rol desconocido: «%(role)s».") % {"role": role})
    if not user.is_active:
        raise RoleNotHeld(_("La cuenta «%(u)s» está desactivada.") % {"u": user.username}, "user")
    if not user_has_role(user=user, role=role, at=now):
        raise RoleNotHeld(
            _("El usuario «%(u)s» no tiene el rol «%(r)s».") % {"u": user.username, "r": role}
        )
    name = name.strip()
    if len(name) > 100:
        raise TokenNameInvalid(_("El nombre del token tiene más de 100 caracteres."))
    while True:
        # 32 random bytes: nothing to guess, so a plain SHA-256 of it is a safe thing to store.
        body = secrets.token_urlsafe(32)
        clear = TOKEN_PREFIX + body
        digest = token_digest(clear)
        if not APIToken.objects.filter(key_sha256=digest).exists():
            break
    token = APIToken.objects.create(
        user=user, role=role, name=name, prefix=body[:8], key_sha256=digest, created_at=now
    )
    assert token.key_sha256 != clear and clear not in token.key_sha256
    audit_record(
        actor=actor,
        action="token.create",
        object_type="accounts.APIToken",
        object_id=token.pk,
        before=None,
        after=_token_audit(token),
        now=now,
    )
    return IssuedToken(token, clear)


@transaction.atomic
def token_revoke(*, actor: Any, token: APIToken, now: datetime) -> APIToken:
    current = (
        APIToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=token.pk)
    )
    if current.revoked_at is not None:
        raise TokenAlreadyRevoked(
            _("El token %(p)s ya estaba revocado.") % {"p": TOKEN_PREFIX + current.prefix}
        )
    before = _token_audit(current)
    current.revoked_at = now
    current.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="token.revoke",
        object_type="accounts.APIToken",
        object_id=current.pk,
        before=before,
        after=_token_audit(current),
        now=now,
    )
    return current


# --- sign-in attempts -------------------------------------------------------------------------


@transaction.atomic
def login_attempt_record(
    *, username: str, ip: str | None, succeeded: bool, user: User | None = None, now: datetime
) -> LoginAttempt:
    """Records a sign-in attempt (a password or a second-factor code), for throttling. A
    successful one also sets the user's last_login (Django's own signal handler for that is
    disconnected in AccountsConfig.ready so that the write goes through here). The username and
    address stay in this private table; the audit event says only whether it succeeded."""
    assert not succeeded or user is not None, "a successful attempt names its user"
    attempt = LoginAttempt.objects.create(
        username=username[:150], ip=ip or None, at=now, succeeded=succeeded
    )
    if succeeded and user is not None:
        user.last_login = now
        user.save(update_fields=["last_login"])
    audit_record(
        actor=user if succeeded else "anonymous",
        action="login.succeeded" if succeeded else "login.failed",
        object_type="accounts.LoginAttempt",
        object_id=attempt.pk,
        before=None,
        after={"succeeded": succeeded},
        now=now,
    )
    return attempt
