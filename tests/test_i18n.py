"""Spanish by default, English switchable: the English catalogue under minga/locale is complete
(every entry translated, none fuzzy), its compiled .mo says what its .po says, every literal
string of the templates is in it, and the public pages come out in English when the language
cookie asks for it and in Spanish otherwise."""

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext, npgettext, pgettext

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "minga" / "locale"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
ES_PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# --- A minimal reader of gettext .po files (polib is not a project dependency) -----------------


@dataclass
class Entry:
    msgid: str
    line: int
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural.get(i, "") for i in range(2)]


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def _unquote(token: str, where: str) -> str:
    # A .po string is a C string literal; Python's literal syntax reads the escapes gettext
    # writes (\" \\ \n \t) the same way.
    value = ast.literal_eval(token)
    assert isinstance(value, str), where
    return value


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header (as a dict) and the entries of a .po file; obsolete (#~) entries are
    skipped. Raises AssertionError naming the line of anything it cannot read."""
    entries: list[Entry] = []
    flags: set[str] = set()
    target: tuple[str, int | None] | None = None
    start = 0
    parts: dict[tuple[str, int | None], str] = {}

    def finish() -> None:
        nonlocal parts, flags, target
        if ("msgid", None) in parts:
            e = Entry(msgid=parts[("msgid", None)], line=start, flags=flags)
            e.msgctxt = parts.get(("msgctxt", None))
            e.msgid_plural = parts.get(("msgid_plural", None))
            e.msgstr = parts.get(("msgstr", None), "")
            e.msgstr_plural = {
                i: v for (k, i), v in parts.items() if k == "msgstr" and i is not None
            }
            entries.append(e)
        parts, flags, target = {}, set(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path.name}:{number}"
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            # Comments open the next entry: whatever came before is complete.
            if any(k == "msgstr" for k, _ in parts):
                finish()
            if line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, token = match.groups()
            name = "msgstr" if keyword.startswith("msgstr") else keyword
            key = (name, int(index) if index is not None else None)
            if name in ("msgctxt", "msgid") and any(k == "msgstr" for k, _ in parts):
                finish()
            if not parts:
                start = number
            parts[key] = _unquote(token, where)
            target = key
            continue
        assert line.startswith('"') and target is not None, f"{where}: cannot read {raw!r}"
        parts[target] += _unquote(line, where)
    finish()
    assert entries and entries[0].msgid == "", f"{path}: no header entry"
    header_text = entries[0].msgstr
    header = dict(
        (k.strip(), v.strip())
        for k, _, v in (row.partition(":") for row in header_text.splitlines() if ":" in row)
    )
    return header, entries[1:]


@pytest.fixture(scope="module")
def english() -> tuple[dict[str, str], list[Entry]]:
    assert EN_PO.exists(), f"{EN_PO} is missing: run makemessages -l en from minga/"
    return read_po(EN_PO)


# --- (a) the catalogue is present, compiled and loads ------------------------------------------


def test_the_compiled_english_and_spanish_catalogues_are_committed_beside_their_sources():
    for po in (EN_PO, ES_PO):
        mo = po.with_suffix(".mo")

        assert mo.exists(), f"{mo} is missing: run compilemessages from minga/"
        assert mo.stat().st_size > 0


def test_the_locale_directory_is_the_one_the_settings_name():
    assert LOCALE in [Path(p) for p in settings.LOCALE_PATHS]
    assert settings.LANGUAGE_CODE == "es"
    assert [code for code, _name in settings.LANGUAGES] == ["es", "en"]


def test_the_english_catalogue_turns_known_spanish_strings_into_english():
    with translation.override("en"):
        assert gettext("Datos abiertos") == "Open data"
        assert gettext("Territorios") == "Territories"
        assert gettext("Saltar al contenido") == "Skip to content"
        assert gettext("Directorio de organizaciones") == "Organisation directory"
        assert (
            gettext(
                "Minga es software libre para el Estado Socio: gobierno y sociedad civil "
                "deciden juntos."
            )
            == "Minga is free software for the Partner State: government and civil society "
            "decide together."
        )


def test_english_plurals_follow_the_count():
    singular, plural = "%(n)s organización encontrada", "%(n)s organizaciones encontradas"

    with translation.override("en"):
        one = ngettext(singular, plural, 1) % {"n": 1}
        many = ngettext(singular, plural, 3) % {"n": 3}

    assert one == "1 organisation found"
    assert many == "3 organisations found"


def test_spanish_is_the_source_language_so_its_strings_show_as_written():
    with translation.override("es"):
        assert gettext("Datos abiertos") == "Datos abiertos"
        assert gettext("Saltar al contenido") == "Saltar al contenido"
        assert ngettext("%(n)s persona", "%(n)s personas", 2) % {"n": 2} == "2 personas"


def test_the_spanish_catalogue_is_the_identity(english):
    header, entries = read_po(ES_PO)

    assert header["Language"] == "es"
    assert [e.msgid for e in entries if any(e.translations)] == []
    assert {e.msgid for e in entries} == {e.msgid for e in english[1]}


def test_the_compiled_english_catalogue_says_exactly_what_its_source_says(english):
    # A .po edited without compilemessages (or a stale .mo) shows here, entry by entry.
    _header, entries = english
    stale = []

    with translation.override("en"):
        for e in entries:
            if e.msgid_plural is None:
                got = [pgettext(e.msgctxt, e.msgid) if e.msgctxt is not None else gettext(e.msgid)]
            else:
                got = [
                    npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
                    if e.msgctxt is not None
                    else ngettext(e.msgid, e.msgid_plural, n)
                    for n in (1, 2)
                ]
            if got != e.translations:
                stale.append((e.line, e.msgid, got, e.translations))

    assert stale == []


# --- (c) every entry is translated, none is fuzzy ---------------------------------------------


def test_the_english_header_declares_the_language_and_its_plural_rule(english):
    header, _entries = english

    assert header["Language"] == "en"
    assert header["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"


def test_every_english_entry_is_translated_and_none_is_fuzzy(english):
    _header, entries = english

    untranslated = [(e.line, e.msgid) for e in entries if not all(e.translations)]
    fuzzy = [(e.line, e.msgid) for e in entries if "fuzzy" in e.flags]

    assert len(entries) > 1000
    assert untranslated == []
    assert fuzzy == []


_PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|<[^>]+>")


def test_every_english_entry_keeps_the_placeholders_and_markup_of_its_spanish(english):
    # A dropped %(name)s raises KeyError at render time; a lost tag breaks the page.
    _header, entries = english
    broken = []

    for e in entries:
        if e.msgid_plural is None:
            pairs = [(e.msgid, e.msgstr)]
        else:
            # An English singular may say "one" where the Spanish repeats the count.
            pairs = [(e.msgid_plural, e.msgstr_plural.get(1, ""))]
            if not set(_PLACEHOLDER.findall(e.msgstr_plural.get(0, ""))) <= set(
                _PLACEHOLDER.findall(e.msgid)
            ):
                broken.append((e.line, e.msgid))
        for source, translated in pairs:
            if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(translated)):
                broken.append((e.line, source))

    assert broken == []


def test_msgfmt_finds_no_format_or_header_error_in_the_catalogues():
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip(
            "SKIPPED LOUDLY: msgfmt (GNU gettext) is not installed; apt-get install gettext"
        )

    for po in (EN_PO, ES_PO):
        result = subprocess.run(
            [
                msgfmt,
                "--check-format",
                "--check-header",
                "--statistics",
                "-o",
                "/dev/null",
                str(po),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

        assert result.returncode == 0, result.stderr
        assert "fuzzy" not in result.stderr
    assert re.match(r"^\d+ translated messages\.$", _statistics(EN_PO)), _statistics(EN_PO)


def _statistics(po: Path) -> str:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt is not None
    result = subprocess.run(
        [msgfmt, "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stderr.strip()


# Simple literal strings of {% translate %} (no filters, no context): each must be in the
# catalogue, so a string added to a template without a translation fails here, not in front of
# an English-speaking user.
_TRANSLATE_TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+(?:"([^"]*)"|'([^']*)')\s*%\}""")


def test_every_literal_string_of_the_templates_is_in_the_english_catalogue(english):
    _header, entries = english
    known = {e.msgid for e in entries if e.msgctxt is None}
    missing = []

    templates = sorted(ROOT.glob("minga/**/templates/**/*.html"))
    for template in templates:
        if "tests" in template.relative_to(ROOT).parts:
            continue
        text = template.read_text(encoding="utf-8")
        for match in _TRANSLATE_TAG.finditer(text):
            msgid = match.group(1) if match.group(1) is not None else match.group(2)
            if msgid not in known:
                line = text.count("\n", 0, match.start()) + 1
                missing.append(f"{template.relative_to(ROOT)}:{line}: {msgid}")

    assert len(templates) > 20
    assert missing == []


# --- (b) the pages come out in the language asked for -----------------------------------------


@pytest.fixture
def cotacachi(db):
    from minga.territories.services import territories_import

    territories_import(
        country_code="EC",
        actor=None,
        now=NOW,
        rows=[("provincia", "10", "IMBABURA", ""), ("canton", "1003", "COTACACHI", "10")],
    )


@pytest.fixture
def english_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# What the shared header says in each language; none of one language's words may show in the
# other's page.
NAV = {
    "en": ["Skip to content", "Territories", "Organisations", "Open data", "Sign in"],
    "es": ["Saltar al contenido", "Territorios", "Organizaciones", "Datos abiertos", "Ingresar"],
}


def _assert_shared_header(body: str, lang: str) -> None:
    other = "es" if lang == "en" else "en"
    assert f'<html lang="{lang}">' in body
    for text in NAV[lang]:
        assert f">{text}<" in body, text
    for text in NAV[other]:
        assert f">{text}<" not in body, text


@pytest.mark.django_db
def test_the_home_page_is_in_english_when_the_language_cookie_says_en(english_client):
    body = _page(english_client, reverse("core:home"))

    _assert_shared_header(body, "en")
    assert "<h1>Minga: communal work for the common good</h1>" in body
    assert "<title>Home · Minga</title>" in body
    assert "trabajo comunitario" not in body


@pytest.mark.django_db
def test_the_home_page_is_in_spanish_by_default(client):
    body = _page(client, reverse("core:home"))

    _assert_shared_header(body, "es")
    assert "<h1>Minga: trabajo comunitario por el bien común</h1>" in body
    assert "<title>Inicio · Minga</title>" in body
    assert "communal work" not in body


def test_the_territories_list_is_in_english_when_the_language_cookie_says_en(
    cotacachi, english_client
):
    body = _page(english_client, reverse("territories:list") + "?q=cotacachi")

    _assert_shared_header(body, "en")
    assert "<h1>Territories</h1>" in body
    assert "1 territory for “cotacachi”" in body
    assert "<caption>Search results</caption>" in body
    assert ">COTACACHI</a>" in body


def test_the_territories_list_is_in_spanish_by_default(cotacachi, client):
    body = _page(client, reverse("territories:list") + "?q=cotacachi")

    _assert_shared_header(body, "es")
    assert "<h1>Territorios</h1>" in body
    assert "1 territorio para «cotacachi»" in body
    assert "<caption>Resultados de la búsqueda</caption>" in body


def test_the_organisation_directory_is_in_english_when_the_language_cookie_says_en(
    cotacachi, english_client, client
):
    # The directory caches its rendered results: the Spanish render first, so that a cache
    # keyed without the language would hand the English reader Spanish.
    _page(client, reverse("actors:organization_list"))

    body = _page(english_client, reverse("actors:organization_list"))

    _assert_shared_header(body, "en")
    assert "<h1>Organisation directory</h1>" in body
    assert "Directorio de organizaciones" not in body
    assert ">Search</button>" in body


def test_the_organisation_directory_is_in_spanish_by_default(cotacachi, english_client, client):
    _page(english_client, reverse("actors:organization_list"))

    body = _page(client, reverse("actors:organization_list"))

    _assert_shared_header(body, "es")
    assert "<h1>Directorio de organizaciones</h1>" in body
    assert ">Buscar</button>" in body


@pytest.mark.django_db
def test_switching_to_english_with_the_header_link_turns_the_next_page_english(client):
    response = client.get(reverse("core:language", args=["en"]), {"next": "/territories/"})

    assert response.status_code == 302
    assert response["Location"] == "/territories/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = _page(client, "/territories/")
    _assert_shared_header(body, "en")
    assert "<h1>Territories</h1>" in body
