"""The Django admin: reached only through the site's throttled sign-in, and read-only for
accounts, whose changes go through the audited services."""

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY

from minga.accounts.middleware import SESSION_KEY
from minga.accounts.models import LoginAttempt, User
from minga.accounts.tests.helpers import PASSWORD, make_user
from minga.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def administrator_signed_in(client):
    """An administrator who has passed both factors in this session."""
    user = make_user("adela", is_staff=True, is_superuser=True)
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return user


def test_the_admin_sign_in_page_sends_to_the_sites_sign_in_page_with_the_next_address(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/accounts/user/"


def test_without_a_next_address_the_admin_sign_in_sends_back_to_the_admin_index(client):
    response = client.get("/admin/login/")

    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_the_admin_index_sends_an_anonymous_visitor_to_the_sites_sign_in_page(client):
    first = client.get("/admin/")

    second = client.get(first["Location"])

    assert first["Location"] == "/admin/login/?next=/admin/"
    assert second["Location"] == "/accounts/login/?next=/admin/"


def test_a_right_password_posted_to_the_admin_sign_in_page_signs_no_one_in(client):
    make_user("adela", is_staff=True, is_superuser=True)

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "adela", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
    assert AUTH_SESSION_KEY not in client.session
    assert LoginAttempt.objects.count() == 0


def test_after_five_failures_the_admin_cannot_be_entered_with_the_right_password(client):
    make_user("adela", is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post("/accounts/login/", {"username": "adela", "password": "no-es-la-clave"})

    by_admin = client.post("/admin/login/", {"username": "adela", "password": PASSWORD})
    by_site = client.post("/accounts/login/", {"username": "adela", "password": PASSWORD})

    assert by_admin.status_code == 302
    assert by_site.status_code == 429
    assert AUTH_SESSION_KEY not in client.session
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


def test_an_administrator_sees_an_account_in_the_admin_without_a_save_button(client):
    administrator_signed_in(client)
    ana = make_user("ana")

    response = client.get(f"/admin/accounts/user/{ana.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "ana" in html
    assert 'name="_save"' not in html


def test_an_account_cannot_be_changed_added_or_deleted_in_the_admin(client):
    administrator_signed_in(client)
    ana = make_user("ana")
    events = AuditEvent.objects.count()

    changed = client.post(
        f"/admin/accounts/user/{ana.pk}/change/",
        {"username": "ana", "is_staff": "on", "is_superuser": "on", "is_active": "on"},
    )
    password = client.post(
        f"/admin/accounts/user/{ana.pk}/password/",
        {"password1": "otra-clave-larga-9", "password2": "otra-clave-larga-9"},
    )
    added = client.post(
        "/admin/accounts/user/add/",
        {"username": "intrusa", "password1": "x-clave-larga-1", "password2": "x-clave-larga-1"},
    )
    deleted = client.post(f"/admin/accounts/user/{ana.pk}/delete/", {"post": "yes"})

    assert (changed.status_code, password.status_code, added.status_code) == (403, 403, 403)
    assert deleted.status_code == 403
    ana.refresh_from_db()
    assert (ana.is_staff, ana.is_superuser) == (False, False)
    assert ana.check_password(PASSWORD)
    assert list(User.objects.order_by("username").values_list("username", flat=True)) == [
        "adela",
        "ana",
    ]
    assert AuditEvent.objects.count() == events
