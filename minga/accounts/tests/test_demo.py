import pyotp
import pytest

from minga.accounts import demo
from minga.accounts.models import RoleAssignment, TOTPDevice, User
from minga.accounts.selectors import access_territory_as_official
from minga.accounts.services import totp_verify
from minga.accounts.tests.helpers import NOW, make_organization, territory_tree
from minga.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_demo_makes_one_account_per_role_and_prints_their_secrets():
    t = territory_tree()
    org = make_organization("Cooperativa Quiroga", t["quiroga"])

    accounts = demo.load(now=NOW)

    assert [(a.username, a.password, a.totp_secret) for a in accounts] == [
        ("residente", "minga-demo-2026", ""),
        ("delegada", "minga-demo-2026", ""),
        ("funcionaria", "minga-demo-2026", "MINGADEMOFUNCIONARIACOTACACHI234"),
        ("consejero", "minga-demo-2026", ""),
        ("auditora", "minga-demo-2026", ""),
        ("admin", "minga-demo-2026", "MINGADEMOADMINISTRADORA234567ABC"),
    ]
    assert accounts[2].role == "official · Cotacachi (1003)"
    assert accounts[1].role == "delegate · Cooperativa Quiroga"
    assert RoleAssignment.objects.get(user__username="delegada").organization == org
    official = User.objects.get(username="funcionaria")
    assert official.check_password("minga-demo-2026")
    assert access_territory_as_official(official, t["quiroga"], at=NOW)
    assert User.objects.get(username="admin").is_superuser


def test_the_demo_authenticators_accept_codes_from_the_documented_secret():
    territory_tree()
    demo.load(now=NOW)

    official = User.objects.get(username="funcionaria")
    code = pyotp.TOTP(demo.OFFICIAL_TOTP_SECRET).at(NOW)

    totp_verify(user=official, code=code, now=NOW)

    assert TOTPDevice.objects.get(user=official).confirmed_at == NOW


def test_loading_the_demo_twice_creates_nothing_more():
    territory_tree()
    demo.load(now=NOW)
    counts = (User.objects.count(), RoleAssignment.objects.count(), AuditEvent.objects.count())

    demo.load(now=NOW)

    assert (
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_without_an_organisation_the_delegate_gets_the_role_on_a_later_run():
    t = territory_tree()
    demo.load(now=NOW)
    assert not RoleAssignment.objects.filter(user__username="delegada").exists()
    make_organization("Cooperativa Quiroga", t["quiroga"])

    demo.load(now=NOW)

    assert RoleAssignment.objects.get(user__username="delegada").role == "delegate"


def test_without_cotacachi_the_demo_says_what_is_missing_and_creates_nothing():
    with pytest.raises(demo.DemoTerritoryMissing, match="EC:1003"):
        demo.load(now=NOW)

    assert User.objects.count() == 0
