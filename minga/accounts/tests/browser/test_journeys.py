"""Journeys of issue 2 in a real browser, with the axe-core WCAG 2.2 AA check on every page:
signing in with 2FA as an official, switching language, a refused bad form with its error."""

from datetime import timedelta

import pyotp
import pytest
from django.utils import timezone

from minga.accounts.services import totp_enrol
from minga.accounts.tests.helpers import PASSWORD, give_role, make_user, territory_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_signing_in_with_2fa_as_an_official(page, axe):
    t = territory_tree()
    official = make_user("fernanda")
    give_role(official, "official", territory=t["cotacachi"])
    totp_enrol(
        user=official, now=timezone.now() - timedelta(minutes=5), secret=SECRET, preconfirmed=True
    )

    page.goto("/accounts/login/")
    axe(page)
    page.get_by_label("Usuario").fill("fernanda")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()

    page.wait_for_url("**/accounts/2fa/**")
    axe(page)
    code_input = page.get_by_label("Código de 6 dígitos")
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    assert code_input.get_attribute("inputmode") == "numeric"
    code_input.fill(pyotp.TOTP(SECRET).now())
    page.get_by_role("button", name="Verificar").click()

    page.wait_for_url("**/accounts/profile/")
    axe(page)
    assert page.locator("#totp-status").inner_text() == "Activada"
    assert page.get_by_role("cell", name="Cotacachi (1003)").is_visible()


def test_switching_language(page, axe):
    page.goto("/accounts/login/?next=/actors/")
    axe(page)
    assert page.locator("html").get_attribute("lang") == "es"
    languages = page.get_by_role("navigation", name="Idioma")
    assert languages.get_by_role("link", name="Español").get_attribute("aria-current") == "true"

    languages.get_by_role("link", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    axe(page)

    assert page.url.endswith("/accounts/login/?next=/actors/")
    languages = page.locator("nav.lang")  # its name is translated
    assert languages.get_by_role("link", name="English").get_attribute("aria-current") == "true"
    assert languages.get_by_role("link", name="Español").get_attribute("aria-current") is None
    languages.get_by_role("link", name="Español").click()
    page.wait_for_function("document.documentElement.lang === 'es'")
    axe(page)
    assert page.url.endswith("/accounts/login/?next=/actors/")
    assert page.get_by_role("button", name="Ingresar").is_visible()


def test_a_refused_bad_form_with_its_error_shown(page, axe):
    make_user("ana")

    page.goto("/accounts/login/")
    page.get_by_label("Usuario").fill("ana")
    page.get_by_label("Contraseña").fill("no-es-la-clave")
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_selector("#id_password_error")
    axe(page)

    password = page.get_by_label("Contraseña")
    assert password.get_attribute("aria-invalid") == "true"
    assert password.get_attribute("aria-describedby") == "id_password_error"
    assert page.locator("#id_password_error").inner_text() == (
        "El usuario o la contraseña no son correctos."
    )
    assert page.get_by_label("Usuario").input_value() == "ana"
    assert page.url.endswith("/accounts/login/")
