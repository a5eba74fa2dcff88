from datetime import timedelta

import pytest
from django.test import override_settings

from minga.accounts.selectors import (
    LoginThrottle,
    access_organization_as_delegate,
    access_territory_as_official,
    login_throttle,
    user_is_administrator,
    user_requires_2fa,
)
from minga.accounts.services import login_attempt_record, role_revoke
from minga.accounts.tests.helpers import (
    NOW,
    give_role,
    make_organization,
    make_territory,
    make_user,
    territory_tree,
)

pytestmark = pytest.mark.django_db

WINDOW = timedelta(seconds=900)


def fail(username="ana", ip="10.0.0.1", at=NOW):
    login_attempt_record(username=username, ip=ip, succeeded=False, now=at)


# --- throttling (MINGA_LOGIN_MAX_FAILURES = 5, MINGA_LOGIN_WINDOW_S = 900) ---------------------


def test_four_failures_do_not_lock_an_account():
    for i in range(4):
        fail(at=NOW + timedelta(seconds=i))

    assert login_throttle(username="ana", ip="10.9.9.9", now=NOW + timedelta(seconds=5)) == (
        LoginThrottle(locked=False, retry_after_s=0)
    )


def test_five_failures_lock_the_username_until_the_fifth_last_leaves_the_window():
    for i in range(5):
        fail(ip=f"10.0.0.{i}", at=NOW + timedelta(seconds=10 * i))

    locked = login_throttle(username="ana", ip="10.9.9.9", now=NOW + timedelta(seconds=60))
    just_before = login_throttle(
        username="ana", ip="10.9.9.9", now=NOW + WINDOW - timedelta(seconds=1)
    )
    unlocked = login_throttle(username="ana", ip="10.9.9.9", now=NOW + WINDOW)

    assert locked == LoginThrottle(locked=True, retry_after_s=840)
    assert just_before == LoginThrottle(locked=True, retry_after_s=1)
    assert unlocked == LoginThrottle(locked=False, retry_after_s=0)


def test_the_username_lock_ignores_case():
    for i in range(5):
        fail(username="Ana", ip=f"10.0.0.{i}", at=NOW)

    assert login_throttle(username="aNA", ip=None, now=NOW).locked


def test_five_failures_from_one_address_lock_every_username_from_it():
    for i, name in enumerate(["a", "b", "c", "d", "e"]):
        fail(username=name, ip="10.0.0.7", at=NOW + timedelta(seconds=i))

    assert login_throttle(username="zoe", ip="10.0.0.7", now=NOW + timedelta(seconds=10)) == (
        LoginThrottle(locked=True, retry_after_s=890)
    )
    assert not login_throttle(username="zoe", ip="10.0.0.8", now=NOW + timedelta(seconds=10)).locked


def test_failures_older_than_the_window_do_not_count():
    for i in range(4):
        fail(at=NOW - WINDOW - timedelta(seconds=i))
    fail(at=NOW)

    assert not login_throttle(username="ana", ip="10.0.0.1", now=NOW).locked


def test_a_success_clears_the_usernames_count_but_not_the_addresss():
    user = make_user("ana")
    for i in range(4):
        fail(at=NOW + timedelta(seconds=i))
    login_attempt_record(
        username="ana", ip="10.0.0.1", succeeded=True, user=user, now=NOW + timedelta(seconds=5)
    )
    fail(at=NOW + timedelta(seconds=6))

    assert not login_throttle(username="ana", ip=None, now=NOW + timedelta(seconds=7)).locked
    assert login_throttle(username="ana", ip="10.0.0.1", now=NOW + timedelta(seconds=7)).locked


@override_settings(MINGA_LOGIN_MAX_FAILURES=2, MINGA_LOGIN_WINDOW_S=60)
def test_the_limits_come_from_the_settings():
    fail(at=NOW)
    fail(at=NOW + timedelta(seconds=30))

    assert login_throttle(username="ana", ip=None, now=NOW + timedelta(seconds=31)) == (
        LoginThrottle(locked=True, retry_after_s=29)
    )


# --- access: officials -------------------------------------------------------------------------


def test_an_official_of_a_canton_acts_for_the_canton_and_its_parishes():
    t = territory_tree()
    official = make_user()
    give_role(official, "official", territory=t["cotacachi"])

    assert access_territory_as_official(official, t["cotacachi"], at=NOW)
    assert access_territory_as_official(official, t["quiroga"], at=NOW)


def test_an_official_of_a_canton_does_not_act_for_another_canton_or_the_province():
    t = territory_tree()
    official = make_user()
    give_role(official, "official", territory=t["cotacachi"])

    assert not access_territory_as_official(official, t["ibarra"], at=NOW)
    assert not access_territory_as_official(official, t["ambuqui"], at=NOW)
    assert not access_territory_as_official(official, t["imbabura"], at=NOW)


def test_a_code_that_merely_starts_like_the_cantons_is_not_under_it():
    t = territory_tree()
    lookalike = make_territory("10030", "Otro", t["imbabura"])
    official = make_user()
    give_role(official, "official", territory=t["cotacachi"])

    assert not access_territory_as_official(official, lookalike, at=NOW)


def test_the_same_codes_in_another_country_are_not_covered():
    t = territory_tree()
    elsewhere = make_territory("10", "Región 10", country="PE")
    official = make_user()
    give_role(official, "official", territory=t["imbabura"])

    assert not access_territory_as_official(official, elsewhere, at=NOW)


def test_an_official_whose_role_ended_acts_nowhere():
    t = territory_tree()
    official = make_user()
    assignment = give_role(official, "official", territory=t["cotacachi"])
    role_revoke(actor="test", assignment=assignment, now=NOW)

    assert not access_territory_as_official(official, t["quiroga"], at=NOW)


def test_a_council_member_of_the_canton_does_not_act_as_an_official():
    t = territory_tree()
    member = make_user()
    give_role(member, "council_member", territory=t["cotacachi"])

    assert not access_territory_as_official(member, t["cotacachi"], at=NOW)


def test_an_administrator_acts_for_every_territory():
    t = territory_tree()
    admin = make_user()
    give_role(admin, "administrator")

    assert access_territory_as_official(admin, t["ambuqui"], at=NOW)
    assert user_is_administrator(admin, at=NOW)


def test_an_inactive_official_acts_nowhere():
    t = territory_tree()
    official = make_user()
    give_role(official, "official", territory=t["cotacachi"])
    official.is_active = False

    assert not access_territory_as_official(official, t["cotacachi"], at=NOW)


def test_an_anonymous_visitor_acts_nowhere():
    from django.contrib.auth.models import AnonymousUser

    t = territory_tree()

    assert not access_territory_as_official(AnonymousUser(), t["cotacachi"], at=NOW)
    assert not user_is_administrator(AnonymousUser(), at=NOW)


# --- access: delegates -------------------------------------------------------------------------


def test_a_delegate_acts_for_their_organisation_only():
    t = territory_tree()
    mine = make_organization("Cooperativa Quiroga", t["quiroga"])
    other = make_organization("Asociación Ambuquí", t["ambuqui"])
    delegate = make_user()
    give_role(delegate, "delegate", organization=mine)

    assert access_organization_as_delegate(delegate, mine, at=NOW)
    assert not access_organization_as_delegate(delegate, other, at=NOW)


def test_an_administrator_does_not_act_as_a_delegate():
    t = territory_tree()
    org = make_organization("Cooperativa Quiroga", t["quiroga"])
    admin = make_user()
    give_role(admin, "administrator")

    assert not access_organization_as_delegate(admin, org, at=NOW)


# --- 2FA requirement ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "required"),
    [
        ("resident", False),
        ("auditor", False),
        ("administrator", True),
    ],
)
def test_two_factor_is_required_for_officials_and_administrators_only(role, required):
    user = make_user()
    give_role(user, role)

    assert user_requires_2fa(user=user) is required


def test_two_factor_is_required_for_an_official():
    t = territory_tree()
    user = make_user()
    give_role(user, "official", territory=t["cotacachi"])

    assert user_requires_2fa(user=user) is True


def test_two_factor_is_required_for_staff():
    user = make_user(is_staff=True)

    assert user_requires_2fa(user=user) is True
