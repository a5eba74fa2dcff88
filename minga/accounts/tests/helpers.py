"""Test data made through the real services (accounts), and a small territory tree.

Territories and organisations are created through the app registry with the fields their
models require: their services belong to other apps and are not what these tests are about."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.apps import apps

from minga.accounts.models import User
from minga.accounts.services import role_assign, user_create

NOW = datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC)
PASSWORD = "una-clave-larga-2026"


def make_user(username: str = "ana", **extra: Any) -> User:
    return user_create(actor="test", username=username, password=PASSWORD, now=NOW, **extra)


def give_role(user: User, role: str, *, territory: Any = None, organization: Any = None) -> Any:
    return role_assign(
        actor="test",
        user=user,
        role=role,
        territory=territory,
        organization=organization,
        active_from=NOW - timedelta(days=1),
        now=NOW,
    )


def _level(country: str, key: str, rank: int) -> Any:
    model = apps.get_model("territories", "TerritoryLevel")
    level, _ = model.objects.get_or_create(
        country_code=country, key=key, defaults={"name": key.title(), "rank": rank}
    )
    return level


def make_territory(code: str, name: str, parent: Any = None, country: str = "EC") -> Any:
    model = apps.get_model("territories", "Territory")
    depth = 0 if parent is None else parent.depth + 1
    path = (parent.path if parent is not None else "/") + f"{code}/"
    level = _level(country, ("provincia", "canton", "parroquia")[depth], depth)
    return model.objects.create(
        country_code=country,
        level=level,
        code=code,
        name=name,
        parent=parent,
        path=path,
        depth=depth,
        created_at=NOW,
        updated_at=NOW,
    )


def territory_tree() -> dict[str, Any]:
    """Imbabura, with the cantons Cotacachi and Ibarra and one parish of each."""
    imbabura = make_territory("10", "Imbabura")
    cotacachi = make_territory("1003", "Cotacachi", imbabura)
    quiroga = make_territory("100356", "Quiroga", cotacachi)
    ibarra = make_territory("1001", "Ibarra", imbabura)
    ambuqui = make_territory("100152", "Ambuquí", ibarra)
    return {
        "imbabura": imbabura,
        "cotacachi": cotacachi,
        "quiroga": quiroga,
        "ibarra": ibarra,
        "ambuqui": ambuqui,
    }


def make_organization(name: str, area: Any) -> Any:
    model = apps.get_model("actors", "Organization")
    return model.objects.create(
        name=name, classification="cooperative", area=area, created_at=NOW, updated_at=NOW
    )
