"""Demo accounts, one per role, for trying Minga out (`minga demo` prints them). Idempotent: a
second run finds every account, role and authenticator in place and creates nothing.

The passwords and the TOTP secrets are published (docs/accounts.md): these accounts exist to be
tried, and must never be loaded on a production server."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from minga.core.accountlist import DemoAccount
from minga.core.roles import Role

from .selectors import (
    organization_first_under,
    role_assignment_overlaps,
    territory_by_code,
    totp_device_of,
    user_by_username,
)
from .services import role_assign, totp_enrol, user_create

DEMO_PASSWORD = "minga-demo-2026"  # noqa: S105 - published demo password (docs/accounts.md)
# Fixed, documented base32 secrets, so that the printed secret can be typed into an
# authenticator app (FreeOTP, Aegis, Google Authenticator) to sign in as these accounts.
OFFICIAL_TOTP_SECRET = "MINGADEMOFUNCIONARIACOTACACHI234"  # noqa: S105 - published demo secret
ADMINISTRATOR_TOTP_SECRET = "MINGADEMOADMINISTRADORA234567ABC"  # noqa: S105 - published
COTACACHI = ("EC", "1003")
ACTOR = "demo"


@dataclass(frozen=True)
class _Spec:
    username: str
    first_name: str
    role: str
    scope: str  # "territory", "organization" or ""
    totp_secret: str = ""
    superuser: bool = False


SPECS = (
    _Spec("residente", "Rosa", Role.RESIDENT, "territory"),
    _Spec("delegada", "Dolores", Role.DELEGATE, "organization"),
    _Spec("funcionaria", "Fernanda", Role.OFFICIAL, "territory", OFFICIAL_TOTP_SECRET),
    _Spec("consejero", "Carlos", Role.COUNCIL_MEMBER, "territory"),
    _Spec("auditora", "Ana", Role.AUDITOR, "territory"),
    _Spec("admin", "Adela", Role.ADMINISTRATOR, "", ADMINISTRATOR_TOTP_SECRET, superuser=True),
)


class DemoTerritoryMissing(Exception):
    pass


@transaction.atomic
def load(*, now: datetime) -> list[DemoAccount]:
    # Runs after the territories and actors demos (INSTALLED_APPS order).
    cotacachi = territory_by_code(country_code=COTACACHI[0], code=COTACACHI[1])
    if cotacachi is None:
        raise DemoTerritoryMissing(
            "the demo territory EC:1003 (Cotacachi) is missing: load the territories demo first"
        )
    organization = organization_first_under(territory=cotacachi)
    accounts: list[DemoAccount] = []
    for spec in SPECS:
        user = user_by_username(username=spec.username)
        if user is None:
            user = user_create(
                actor=ACTOR,
                username=spec.username,
                password=DEMO_PASSWORD,
                first_name=spec.first_name,
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
                now=now,
            )
        territory = cotacachi if spec.scope == "territory" else None
        org = organization if spec.scope == "organization" else None
        # A delegate needs an organisation: without the actors demo there is none to act for,
        # so the account is made without its role (a later run adds it).
        scoped = spec.scope != "organization" or org is not None
        if scoped and not role_assignment_overlaps(
            user=user,
            role=spec.role,
            territory=territory,
            organization=org,
            active_from=now,
            active_to=None,
        ):
            role_assign(
                actor=ACTOR,
                user=user,
                role=spec.role,
                territory=territory,
                organization=org,
                active_from=now,
                now=now,
            )
        if spec.totp_secret and totp_device_of(user=user) is None:
            totp_enrol(user=user, now=now, secret=spec.totp_secret, preconfirmed=True)
        label = str(spec.role)
        if territory is not None:
            label += f" · {territory.name} ({territory.code})"
        if org is not None:
            label += f" · {org.name}"
        accounts.append(DemoAccount(spec.username, DEMO_PASSWORD, label, spec.totp_secret))
    return accounts
