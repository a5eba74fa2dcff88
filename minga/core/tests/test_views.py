"""The language links of the header (GET /i18n/<lang>/?next=...) and what the shared base
template puts on a page for anonymous and signed-in visitors."""

import io
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from minga.accounts.middleware import SESSION_KEY
from minga.accounts.tests.helpers import make_user

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def test_the_language_url_is_under_i18n_and_leaves_djangos_own_view_reachable() -> None:
    assert reverse("core:language", args=["en"]) == "/i18n/en/"
    assert reverse("set_language") == "/i18n/setlang/"


def test_a_language_link_sets_the_cookie_and_goes_back_to_the_page(client: Client) -> None:
    response = client.get("/i18n/en/", {"next": "/actors/?q=caf%C3%A9&page=2"})

    assert response.status_code == 302
    assert response["Location"] == "/actors/?q=caf%C3%A9&page=2"
    assert response.cookies[COOKIE].value == "en"
    assert "no-store" in response["Cache-Control"]


def test_the_chosen_language_is_the_one_pages_are_shown_in(client: Client) -> None:
    client.get("/i18n/en/", {"next": "/"})
    english = client.get("/").content.decode()
    client.get("/i18n/es/", {"next": "/"})
    spanish = client.get("/").content.decode()

    assert '<html lang="en">' in english
    assert '<html lang="es">' in spanish


def test_without_next_the_language_link_goes_to_the_home_page(client: Client) -> None:
    response = client.get("/i18n/en/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_an_unknown_language_is_refused_naming_the_field_and_sets_nothing(
    client: Client,
) -> None:
    response = client.get("/i18n/fr/", {"next": "/"})

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "language: Idioma desconocido: «fr». Idiomas disponibles: es, en.\n"
    )
    assert COOKIE not in response.cookies


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/actors/", "javascript:alert(1)"]
)
def test_a_next_address_off_the_site_is_refused_and_sets_nothing(
    client: Client, next_url: str
) -> None:
    response = client.get("/i18n/en/", {"next": next_url})

    assert response.status_code == 400
    assert response.content.decode() == "next: La dirección de regreso no es de este sitio.\n"
    assert COOKIE not in response.cookies


def test_the_language_link_answers_get_only(client: Client) -> None:
    response = client.post("/i18n/en/", {"next": "/"})

    assert response.status_code == 405
    assert COOKIE not in response.cookies


def test_djangos_post_view_still_sets_the_language(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "en"


def test_the_header_links_every_language_named_in_itself_back_to_the_page(
    client: Client,
) -> None:
    body = client.get("/open-data/", {"x": "1"}).content.decode()

    nav = re.search(r'<nav class="lang" aria-label="Idioma">(.*?)</nav>', body, re.S)
    assert nav is not None
    links = re.findall(r"<a [^>]*>[^<]*</a>", nav.group(1))
    assert links == [
        '<a href="/i18n/es/?next=/open-data/%3Fx%3D1" lang="es" hreflang="es" '
        'aria-current="true">Español</a>',
        '<a href="/i18n/en/?next=/open-data/%3Fx%3D1" lang="en" hreflang="en">English</a>',
    ]


def test_in_english_the_current_language_mark_moves_to_english(client: Client) -> None:
    client.cookies[COOKIE] = "en"

    body = client.get("/").content.decode()

    assert 'hreflang="en" aria-current="true">English</a>' in body
    assert 'hreflang="es">Español</a>' in body


def test_an_anonymous_page_carries_no_csrf_token_and_sets_no_cookie(client: Client) -> None:
    response = client.get("/")

    body = response.content.decode()
    assert "csrfmiddlewaretoken" not in body
    assert "X-CSRFToken" not in body
    assert "<form" not in body
    assert list(response.cookies) == []


def test_a_signed_in_page_has_the_logout_form_and_the_htmx_csrf_header(client: Client) -> None:
    user = make_user("ana")
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()

    body = client.get("/").content.decode()

    assert body.count('name="csrfmiddlewaretoken"') == 1
    assert 'action="/accounts/logout/"' in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert ">ana</a>" in body


@pytest.mark.django_db
def test_minga_verify_ledger_runs_the_ledgers_own_verification():
    out = io.StringIO()

    call_command("verify", "ledger", stdout=out)

    assert out.getvalue().startswith("ledger verified: 0 journal entries")


@pytest.mark.django_db
def test_minga_verify_ledger_from_a_missing_file_is_refused_naming_the_option():
    message = "--from: /no/such/journal.jsonl is not a readable file"
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("verify", "ledger", "--from", "/no/such/journal.jsonl")
