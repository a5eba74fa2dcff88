"""The sign-in pages and the 2FA middleware, through Django's test client."""

import re
from datetime import timedelta

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone

from minga.accounts.middleware import SESSION_KEY
from minga.accounts.models import APIToken, LoginAttempt, TOTPDevice
from minga.accounts.services import login_attempt_record, token_create, totp_enrol
from minga.accounts.tests.helpers import PASSWORD, give_role, make_user, territory_tree

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TWO_FACTOR = "/accounts/2fa/"
PROFILE = "/accounts/profile/"


def official(secret: str | None = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"):  # noqa: S107 - test secret
    t = territory_tree()
    user = make_user("fernanda")
    give_role(user, "official", territory=t["cotacachi"])
    if secret:
        totp_enrol(
            user=user, now=timezone.now() - timedelta(minutes=5), secret=secret, preconfirmed=True
        )
    return user


def sign_in(client, username="ana", password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_the_sign_in_page_has_labelled_fields_with_autocomplete(client):
    response = client.get(LOGIN)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">Usuario</label>' in html
    assert 'autocomplete="current-password"' in html


def test_a_resident_signs_in_and_goes_to_their_profile_without_2fa(client):
    make_user("ana")

    response = sign_in(client)

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    assert client.get(PROFILE).status_code == 200
    assert LoginAttempt.objects.get().succeeded is True


def test_a_wrong_password_is_refused_with_the_error_linked_to_the_field(client):
    make_user("ana")

    response = sign_in(client, password="otra-clave-mala")

    html = response.content.decode()
    assert response.status_code == 400
    assert '<ul class="errorlist" id="id_password_error">' in html
    assert "El usuario o la contraseña no son correctos." in html
    assert re.search(
        r'<input[^>]*aria-invalid="true"[^>]*aria-describedby="id_password_error"', html
    )
    assert "_auth_user_id" not in client.session
    assert LoginAttempt.objects.get().succeeded is False


def test_an_unknown_user_gets_the_same_message_as_a_wrong_password(client):
    response = sign_in(client, username="nadie", password="otra-clave-mala")

    assert response.status_code == 400
    assert "El usuario o la contraseña no son correctos." in response.content.decode()


def test_a_blank_form_names_each_missing_field(client):
    response = client.post(LOGIN, {"username": "", "password": ""})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Escribe tu nombre de usuario." in html
    assert "Escribe tu contraseña." in html
    assert LoginAttempt.objects.count() == 0


def test_after_five_failures_even_the_right_password_is_refused_with_the_wait(client):
    user = make_user("ana")
    for _ in range(5):
        sign_in(client, password="otra-clave-mala")

    response = sign_in(client)

    html = response.content.decode()
    assert response.status_code == 429
    assert "Demasiados intentos fallidos. Vuelve a intentarlo en 15 minutos." in html
    assert "_auth_user_id" not in client.session
    assert LoginAttempt.objects.filter(succeeded=True).count() == 0
    user.refresh_from_db()
    assert user.last_login is None


def test_the_lock_message_is_the_same_for_an_account_that_does_not_exist(client):
    for _ in range(5):
        sign_in(client, username="nadie", password="otra-clave-mala")

    response = sign_in(client, username="nadie", password="otra-clave-mala")

    assert response.status_code == 429
    assert "Demasiados intentos fallidos. Vuelve a intentarlo en 15 minutos." in (
        response.content.decode()
    )


def test_an_unsafe_next_url_is_ignored(client):
    make_user("ana")

    response = sign_in(client, next="https://evil.example/")

    assert response["Location"] == PROFILE


def test_a_safe_next_url_is_followed(client):
    make_user("ana")

    response = sign_in(client, next="/open-data/")

    assert response["Location"] == "/open-data/"


def test_an_official_is_sent_to_the_2fa_step_after_the_password(client):
    official()

    response = sign_in(client, username="fernanda")

    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next=%2Faccounts%2Fprofile%2F"
    assert not client.session.get(SESSION_KEY)


def test_the_middleware_sends_an_official_without_2fa_to_the_2fa_step(client):
    official()
    sign_in(client, username="fernanda")

    response = client.get("/open-data/")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor")


def test_the_middleware_lets_a_resident_through(client):
    make_user("ana")
    sign_in(client)

    assert client.get("/open-data/").status_code == 200


def test_the_profile_itself_asks_an_official_for_the_second_factor(client):
    official()
    sign_in(client, username="fernanda")

    response = client.get(PROFILE)

    assert response["Location"] == f"{TWO_FACTOR}?next=%2Faccounts%2Fprofile%2F"


def test_a_good_code_marks_the_session_and_opens_the_site(client):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    official(secret)
    sign_in(client, username="fernanda")

    response = client.post(TWO_FACTOR, {"code": pyotp.TOTP(secret).now(), "next": "/open-data/"})

    assert response["Location"] == "/open-data/"
    assert client.session[SESSION_KEY] is True
    assert client.get("/open-data/").status_code == 200


def test_a_wrong_code_is_refused_counted_and_linked_to_the_field(client):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    official(secret)
    sign_in(client, username="fernanda")
    good = pyotp.TOTP(secret).now()
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"

    response = client.post(TWO_FACTOR, {"code": wrong})

    html = response.content.decode()
    assert response.status_code == 400
    assert '<ul class="errorlist" id="id_code_error">' in html
    assert "El código no es correcto o ha caducado." in html
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert not client.session.get(SESSION_KEY)
    assert LoginAttempt.objects.filter(username="fernanda", succeeded=False).count() == 1


def test_an_official_without_a_device_is_shown_enrolment_with_secret_and_qr(client):
    user = official(secret=None)
    sign_in(client, username="fernanda")

    response = client.get(TWO_FACTOR)

    html = response.content.decode()
    device = TOTPDevice.objects.get(user=user)
    grouped = " ".join(device.secret[i : i + 4] for i in range(0, 32, 4))
    assert device.confirmed_at is None
    assert f'<code id="totp-secret" class="secret">{grouped}</code>' in html
    assert '<svg role="img"' in html
    assert "<title>Código QR para la aplicación de autenticación</title>" in html


def test_reloading_the_enrolment_page_keeps_the_same_secret(client):
    user = official(secret=None)
    sign_in(client, username="fernanda")
    client.get(TWO_FACTOR)
    first = TOTPDevice.objects.get(user=user).secret

    client.get(TWO_FACTOR)

    assert TOTPDevice.objects.get(user=user).secret == first


def test_confirming_the_enrolment_with_a_good_code_turns_2fa_on(client):
    user = official(secret=None)
    sign_in(client, username="fernanda")
    client.get(TWO_FACTOR)
    secret = TOTPDevice.objects.get(user=user).secret

    response = client.post(TWO_FACTOR, {"code": pyotp.TOTP(secret).now()})

    assert response["Location"] == PROFILE
    assert TOTPDevice.objects.get(user=user).confirmed_at is not None
    assert client.session[SESSION_KEY] is True


def test_the_2fa_step_is_locked_after_too_many_failures(client):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    official(secret)
    sign_in(client, username="fernanda")
    now = timezone.now()
    for _ in range(5):
        login_attempt_record(username="fernanda", ip="127.0.0.1", succeeded=False, now=now)

    response = client.post(TWO_FACTOR, {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 429
    assert not client.session.get(SESSION_KEY)


def test_the_2fa_page_requires_a_signed_in_user(client):
    response = client.get(TWO_FACTOR)

    assert response["Location"] == f"{LOGIN}?next=/accounts/2fa/"


def test_the_profile_lists_roles_and_tokens_and_a_token_can_be_revoked(client):
    user = make_user("ana")
    give_role(user, "operator")
    token = token_create(actor="test", user=user, role="operator", name="robot", now=timezone.now())
    sign_in(client)

    html = client.get(PROFILE).content.decode()
    response = client.post(reverse("accounts:token_revoke", args=[token.token.pk]))

    assert f"<code>mgt_{token.token.prefix}…</code>" in html
    assert "Operador/a (cliente de máquina)" in html
    assert response["Location"] == PROFILE
    assert APIToken.objects.get().revoked_at is not None


def test_someone_elses_token_cannot_be_revoked(client):
    owner = make_user("dueno")
    give_role(owner, "operator")
    token = token_create(actor="test", user=owner, role="operator", now=timezone.now()).token
    make_user("ana")
    sign_in(client)

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))

    assert response.status_code == 404
    assert APIToken.objects.get().revoked_at is None


def test_logging_out_needs_a_post_and_ends_the_session(client):
    make_user("ana")
    sign_in(client)

    refused = client.get("/accounts/logout/")
    response = client.post("/accounts/logout/")

    assert refused.status_code == 405
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_the_admin_asks_an_administrator_for_the_second_factor(client):
    make_user("adela", is_staff=True, is_superuser=True)
    sign_in(client, username="adela")

    response = client.get("/admin/")

    assert response["Location"] == reverse("accounts:two_factor")
