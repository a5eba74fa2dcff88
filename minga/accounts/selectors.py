"""Reads about accounts: roles held, whether 2FA is required, sign-in throttling and the
object-level access checks (`access_*`: one condition per line, so that tests cover each)."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from django.apps import apps
from django.conf import settings
from django.db.models import CharField, F, Q, QuerySet, Value
from django.utils import timezone

from minga.core.roles import Role

from .models import APIToken, LoginAttempt, RoleAssignment, TOTPDevice, User

TOTP_ISSUER = "Minga"
TOTP_DIGITS = 6
TOTP_STEP_S = 30


def roles_active(*, user: User, at: datetime | None = None) -> QuerySet[RoleAssignment]:
    at = at or timezone.now()
    return RoleAssignment.objects.filter(user=user, active_from__lte=at).filter(
        Q(active_to__isnull=True) | Q(active_to__gt=at)
    )


def user_has_role(*, user: User, role: str, at: datetime | None = None) -> bool:
    return roles_active(user=user, at=at).filter(role=role).exists()


def user_requires_2fa(*, user: User) -> bool:
    """Officials and administrators must pass a TOTP check; so must anyone who turned it on."""
    if user.is_superuser or user.is_staff:
        return True
    if TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        return True
    return roles_active(user=user).filter(role__in=settings.MINGA_2FA_REQUIRED_ROLES).exists()


def roles_for_profile(*, user: User, at: datetime | None = None) -> list[RoleAssignment]:
    return list(
        roles_active(user=user, at=at)
        .select_related("territory", "organization")
        .order_by("role", "active_from")
    )


def username_taken(*, username: str) -> bool:
    return User.objects.filter(username__iexact=username).exists()


def user_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username).first()


def role_assignment_overlaps(
    *,
    user: User,
    role: str,
    territory: Any,
    organization: Any,
    active_from: datetime,
    active_to: datetime | None,
) -> bool:
    """Whether the user already holds this role with this very scope during any part of the
    period [active_from, active_to)."""
    same = RoleAssignment.objects.filter(
        user=user, role=role, territory=territory, organization=organization
    ).filter(Q(active_to__isnull=True) | Q(active_to__gt=active_from))
    if active_to is not None:
        same = same.filter(active_from__lt=active_to)
    return same.exists()


# --- territories and organisations, read through the app registry ----------------------------
# Another app's models are not imported (import-linter contract): they are looked up by label.


def territory_by_code(*, country_code: str, code: str) -> Any:
    territory_model = apps.get_model("territories", "Territory")
    return territory_model.objects.filter(country_code=country_code.upper(), code=code).first()


def organization_by_id(*, organization_id: int) -> Any:
    organization_model = apps.get_model("actors", "Organization")
    return organization_model.objects.filter(pk=organization_id).first()


# --- access checks ----------------------------------------------------------------------------


def user_is_administrator(user: Any, *, at: datetime | None = None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user_has_role(user=user, role=Role.ADMINISTRATOR, at=at)


def access_territory_as_official(user: Any, territory: Any, *, at: datetime | None = None) -> bool:
    """An official acts only for the bodies of their own territory: a role for territory T
    covers T and every territory under it (T's path is a prefix of theirs). Administrators act
    everywhere."""
    if territory is None:
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    if not user.is_active:
        return False
    if user_is_administrator(user, at=at):
        return True
    covering = (
        roles_active(user=user, at=at)
        .filter(role=Role.OFFICIAL, territory__country_code=territory.country_code)
        .alias(target_path=Value(territory.path, output_field=CharField()))
        .filter(target_path__startswith=F("territory__path"))
    )
    return covering.exists()


def access_organization_as_delegate(
    user: Any, organization: Any, *, at: datetime | None = None
) -> bool:
    """A delegate acts for the one organisation that delegated them. Administrators do not act
    as delegates: a delegate's mandate comes from the organisation, not from the platform."""
    if organization is None:
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    if not user.is_active:
        return False
    return (
        roles_active(user=user, at=at)
        .filter(role=Role.DELEGATE, organization_id=organization.pk)
        .exists()
    )


# --- sign-in throttling -----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginThrottle:
    locked: bool
    # Seconds until a new attempt is allowed (0 when not locked).
    retry_after_s: int


def _lock_ends_at(failures: QuerySet[LoginAttempt], window: timedelta) -> datetime | None:
    """With at least MAX failures in the window, the lock lasts until the MAX-th most recent
    failure leaves the window."""
    limit = settings.MINGA_LOGIN_MAX_FAILURES
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return None
    return times[limit - 1] + window


def login_throttle(*, username: str, ip: str | None, now: datetime) -> LoginThrottle:
    """MINGA_LOGIN_MAX_FAILURES failed attempts within MINGA_LOGIN_WINDOW_S seconds, for that
    username (case-insensitively) or from that address, lock further attempts. A successful
    sign-in clears the username's count (not the address's: one's own account must not reset
    an address that is guessing other people's passwords)."""
    window = timedelta(seconds=settings.MINGA_LOGIN_WINDOW_S)
    since = now - window
    recent = LoginAttempt.objects.filter(at__gt=since, at__lte=now)
    by_name = recent.filter(username__iexact=username)
    last_success = (
        by_name.filter(succeeded=True).order_by("-at").values_list("at", flat=True).first()
    )
    name_failures = by_name.filter(succeeded=False)
    if last_success is not None:
        name_failures = name_failures.filter(at__gt=last_success)
    ends = [_lock_ends_at(name_failures, window)]
    if ip:
        ends.append(_lock_ends_at(recent.filter(ip=ip, succeeded=False), window))
    latest = max((e for e in ends if e is not None), default=None)
    if latest is None or latest <= now:
        return LoginThrottle(locked=False, retry_after_s=0)
    return LoginThrottle(locked=True, retry_after_s=math.ceil((latest - now).total_seconds()))


# --- TOTP and tokens --------------------------------------------------------------------------


def totp_device_of(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user).first()


def totp_provisioning_uri(*, user: User, secret: str) -> str:
    """The otpauth:// URI that authenticator apps read from the QR code."""
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_S)
    return totp.provisioning_uri(name=user.get_username(), issuer_name=TOTP_ISSUER)


def tokens_of(*, user: User) -> list[APIToken]:
    return list(APIToken.objects.filter(user=user).order_by("-created_at", "-pk"))


def token_of_user(*, user: User, token_id: int) -> APIToken | None:
    return APIToken.objects.filter(user=user, pk=token_id).first()


def tokens_by_prefix(*, prefix: str) -> list[APIToken]:
    prefix = prefix.removeprefix("mgt_").rstrip("…")
    return list(APIToken.objects.select_related("user").filter(prefix=prefix))


def organization_first_under(*, territory: Any) -> Any:
    """The first organisation (by name) of a territory or anywhere under it."""
    organization_model = apps.get_model("actors", "Organization")
    return (
        organization_model.objects.filter(
            area__country_code=territory.country_code, area__path__startswith=territory.path
        )
        .order_by("name", "pk")
        .first()
    )
