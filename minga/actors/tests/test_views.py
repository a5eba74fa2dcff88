import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from minga.accounts.middleware import SESSION_KEY
from minga.accounts.services import role_assign, user_create
from minga.actors.models import Organization, OrganizationIdentifier
from minga.core.models import AuditEvent

from .conftest import NOW, PRIVATE_STRINGS, Places, Sample

pytestmark = pytest.mark.django_db

LIST = "/actors/"


def text(response: Any) -> str:
    return str(response.content.decode())


def test_the_url_names_other_apps_use_resolve() -> None:
    assert reverse("actors:organization_list") == "/actors/"
    assert reverse("actors:organization_detail", args=[3]) == "/actors/organizations/3/"
    assert reverse("actors:person_detail", args=[4]) == "/actors/people/4/"
    assert reverse("actors:popolo") == "/actors/popolo.json"


def test_the_directory_page_lists_organizations_with_a_filter_form(
    client: Client, sample: Sample
) -> None:
    response = client.get(LIST)

    body = text(response)
    assert response.status_code == 200
    assert "Cooperativa de Caficultores de Intag" in body
    assert "4 organizaciones encontradas" in body
    assert 'hx-get="/actors/"' in body
    assert 'aria-live="polite"' in body
    assert '<label for="id_q">' in body
    assert '<label for="id_territory">' in body
    assert '<label for="id_classification">' in body


def test_the_directory_filters_by_territory_classification_and_search(
    client: Client, sample: Sample, places: Places
) -> None:
    response = client.get(
        LIST,
        {"territory": str(places.cotacachi.pk), "classification": "cooperative", "q": "cafe"},
    )

    body = text(response)
    assert "1 organización encontrada" in body
    assert "Cooperativa de Caficultores de Intag" in body
    assert "Café Quiteño" not in body
    assert "Municipio de Cotacachi" not in body


def test_an_htmx_request_gets_only_the_results_and_the_count(
    client: Client, sample: Sample
) -> None:
    response = client.get(LIST, {"q": "municipio"}, HTTP_HX_REQUEST="true")

    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.count('id="results"') == 1
    assert 'id="result-count" hx-swap-oob="innerHTML"' in body
    assert "1 organización encontrada" in body
    assert "Municipio de Cotacachi" in body


def test_the_directory_paginates_and_keeps_the_filters_in_the_links(
    client: Client, places: Places
) -> None:
    from minga.actors.services import organization_create

    for i in range(23):
        organization_create(
            actor=None,
            now=NOW,
            name=f"Junta {i:02d}",
            classification="community",
            area_id=places.apuela.pk,
        )

    first = text(client.get(LIST, {"q": "junta"}))
    second = text(client.get(LIST, {"q": "junta", "page": "2"}))
    garbage = client.get(LIST, {"page": "abc", "territory": "x", "classification": "nope"})

    assert "Junta 19" in first and "Junta 20" not in first
    assert 'href="?q=junta&amp;page=2"' in first
    assert "Junta 20" in second and "Junta 22" in second and "Junta 00" not in second
    assert "página 2 de 2" in second
    # Bad filters are ignored rather than failing: the page shows everything, first page.
    assert garbage.status_code == 200
    assert "23 organizaciones encontradas" in text(garbage)


def test_the_organization_page_shows_its_ruc_posts_and_members(
    client: Client, sample: Sample
) -> None:
    assoc = text(client.get(reverse("actors:organization_detail", args=[sample.assoc.pk])))
    muni = text(client.get(reverse("actors:organization_detail", args=[sample.municipality.pk])))

    assert "<h1>Asociación de Tejedoras Warmikuna</h1>" in assoc
    assert "Presidencia" in assoc
    assert reverse("actors:person_detail", args=[sample.person.pk]) in assoc
    assert "IMBABURA \u203a COTACACHI \u203a COTACACHI" in assoc
    assert "1760001550001" in muni
    for private in PRIVATE_STRINGS:
        assert private not in assoc


def test_unknown_organizations_and_people_are_404(client: Client, places: Places) -> None:
    assert client.get(reverse("actors:organization_detail", args=[999])).status_code == 404
    assert client.get(reverse("actors:person_detail", args=[999])).status_code == 404


def test_the_person_page_shows_public_fields_only(client: Client, sample: Sample) -> None:
    body = text(client.get(reverse("actors:person_detail", args=[sample.person.pk])))

    assert "<h1>Rosa Quilumbaquín</h1>" in body
    assert "Tejedora desde niña." in body
    assert "Asociación de Tejedoras Warmikuna" in body
    for private in PRIVATE_STRINGS:
        assert private not in body


def test_the_popolo_export_is_a_popolo_document(client: Client, sample: Sample) -> None:
    response = client.get("/actors/popolo.json")

    doc = json.loads(response.content)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert sorted(doc) == ["memberships", "organizations", "persons", "posts"]
    assert len(doc["organizations"]) == 4
    for private in PRIVATE_STRINGS:
        assert private not in response.content.decode()


def test_the_open_data_registry_serves_both_datasets(client: Client, sample: Sample) -> None:
    csv_body = client.get("/open-data/organizations.csv")
    popolo = client.get("/open-data/popolo.json")

    lines = b"".join(csv_body.streaming_content).decode().splitlines()  # type: ignore[attr-defined] # streamed
    assert lines[0] == (
        "id,name,classification,size,territory_code,territory_name,ruc,parent_id,"
        "founding_date,dissolution_date,summary"
    )
    assert len(lines) == 5
    rows = json.loads(popolo.content)["rows"]
    assert sorted({r["type"] for r in rows}) == ["membership", "organization", "person", "post"]
    for private in PRIVATE_STRINGS:
        assert private not in popolo.content.decode()


# --- registering an organisation ---------------------------------------------------------


def signed_in(client: Client, places: Places, role: str | None, territory: Any = None) -> Any:
    user = user_create(actor=None, username=f"u-{role}", password="x-Long-passw0rd!", now=NOW)
    if role is not None:
        role_assign(
            actor=None,
            user=user,
            role=role,
            territory=territory,
            active_from=NOW - timedelta(days=1),
            now=NOW,
        )
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True  # the second factor is the accounts app's to test
    session.save()
    return user


REGISTER = "/actors/organizations/new/"


def test_registering_needs_a_signed_in_official_or_administrator(
    client: Client, places: Places
) -> None:
    anonymous = client.get(REGISTER)
    signed_in(client, places, None)
    resident = client.get(REGISTER)

    assert anonymous.status_code == 302
    assert resident.status_code == 403


def test_an_official_registers_an_organization_of_their_territory(
    client: Client, places: Places
) -> None:
    signed_in(client, places, "official", places.cotacachi)

    form_page = text(client.get(REGISTER))
    response = client.post(
        REGISTER,
        {
            "name": "Asociación de Apicultores de Apuela",
            "classification": "associative",
            "area": places.apuela.pk,
            "ruc": "1792060346001",
            "founding_date": "2015-04-01",
        },
    )

    org = Organization.objects.get()
    assert "QUITO" not in form_page  # only the territories the official acts for
    assert response.status_code == 302
    assert response["Location"] == reverse("actors:organization_detail", args=[org.pk])
    assert (org.name, org.area_id) == ("Asociación de Apicultores de Apuela", places.apuela.pk)
    assert list(OrganizationIdentifier.objects.values_list("identifier", flat=True)) == [
        "1792060346001"
    ]
    event = AuditEvent.objects.get(action="organization.create")
    assert event.actor_label == "u-official"


def test_a_bad_ruc_is_shown_next_to_its_field_and_nothing_is_registered(
    client: Client, places: Places
) -> None:
    signed_in(client, places, "official", places.cotacachi)
    audit_before = AuditEvent.objects.count()

    response = client.post(
        REGISTER,
        {
            "name": "Asociación X",
            "classification": "associative",
            "area": places.apuela.pk,
            "ruc": "1792060347001",
        },
    )

    body = text(response)
    assert response.status_code == 400
    assert (
        '<ul class="errorlist" id="id_ruc_errors"><li>'
        "RUC no válido: el dígito verificador es 7, pero debería ser 6.</li></ul>" in body
    )
    assert Organization.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_a_size_for_a_cooperative_is_refused_on_the_size_field(
    client: Client, places: Places
) -> None:
    signed_in(client, places, "administrator")

    response = client.post(
        REGISTER,
        {"name": "Coop", "classification": "cooperative", "size": "micro", "area": places.quito.pk},
    )

    assert response.status_code == 400
    assert (
        'id="id_size_errors"><li>Solo una empresa privada tiene tamaño (micro, pequeña...).</li>'
        in text(response)
    )
    assert Organization.objects.count() == 0


def test_an_official_cannot_register_outside_their_territory(
    client: Client, places: Places
) -> None:
    signed_in(client, places, "official", places.cotacachi)

    response = client.post(
        REGISTER, {"name": "Coop", "classification": "cooperative", "area": places.quito.pk}
    )

    assert response.status_code == 400
    assert 'id="id_area_errors"' in text(response)
    assert Organization.objects.count() == 0


# --- the whole-page cache of the directory ------------------------------------------------


def test_an_anonymous_directory_page_is_served_whole_from_the_cache(
    client: Client, sample: Sample
) -> None:
    first = client.get(LIST, {"q": "cafe"})
    second = client.get(LIST, {"q": "cafe"})

    assert [t.name for t in first.templates][:2] == [
        "actors/_directory.html",
        "actors/_field.html",
    ]
    assert "actors/organization_list.html" in [t.name for t in first.templates]
    assert second.templates == []
    assert second.content == first.content
    assert "2 organizaciones encontradas" in text(second)
    assert second["Vary"] == "HX-Request, Accept-Language, Cookie"
    assert list(second.cookies) == []


def test_parameters_the_directory_ignores_share_the_cached_page_and_links(
    client: Client, sample: Sample
) -> None:
    plain = client.get(LIST, {"q": "cafe"})
    tracked = client.get(LIST + "?utm_source=radio&q=cafe")

    assert tracked.templates == []
    assert tracked.content == plain.content
    assert 'href="/i18n/en/?next=/actors/%3Fq%3Dcafe"' in text(tracked)


def test_each_language_has_its_own_cached_page(client: Client, sample: Sample) -> None:
    spanish = text(client.get(LIST))
    client.cookies["django_language"] = "en"
    english = text(client.get(LIST))

    assert '<html lang="es">' in spanish
    assert '<html lang="en">' in english
    assert 'hreflang="en" aria-current="true"' in english


def test_a_signed_in_visitor_never_gets_the_anonymous_page_nor_leaves_theirs(
    client: Client, places: Places, sample: Sample
) -> None:
    anonymous_before = text(client.get(LIST))
    signed_in(client, places, None)
    mine = client.get(LIST)
    client.logout()
    anonymous_after = client.get(LIST)

    assert "u-None" not in anonymous_before
    assert mine.templates != []
    assert ">u-None</a>" in text(mine)
    assert 'action="/accounts/logout/"' in text(mine)
    assert "4 organizaciones encontradas" in text(mine)
    assert "u-None" not in text(anonymous_after)
    assert "csrfmiddlewaretoken" not in text(anonymous_after)


def test_an_anonymous_visitor_with_a_message_waiting_sees_it(
    client: Client, sample: Sample
) -> None:
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse
    from django.test import RequestFactory

    client.get(LIST)  # the shared page is in the cache
    storage = CookieStorage(RequestFactory().get(LIST))
    storage.add(constants.SUCCESS, "Sesión cerrada.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value

    with_message = client.get(LIST)
    after = client.get(LIST)

    assert '<p class="message success">Sesión cerrada.</p>' in text(with_message)
    assert "Sesión cerrada." not in text(after)
    assert after.templates == []


def test_a_new_organization_appears_once_the_data_version_is_read_again(
    client: Client, places: Places, sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minga.actors import views
    from minga.actors.services import organization_create

    # A long lag, so that a slow machine cannot let the version expire before we expire it.
    monkeypatch.setattr(views, "DIRECTORY_VERSION_TTL_S", 3600.0)
    client.get(LIST)
    client.get(LIST, {"q": "caficultores"}, HTTP_HX_REQUEST="true")
    organization_create(
        actor=None,
        now=NOW + timedelta(minutes=1),
        name="Caficultores Nuevos de Apuela",
        classification="associative",
        area_id=places.apuela.pk,
    )

    within_lag = text(client.get(LIST))
    read_at, version = views._version_memo
    views._version_memo = (read_at - 3601.0, version)
    page_after = text(client.get(LIST))
    fragment_after = text(client.get(LIST, {"q": "caficultores"}, HTTP_HX_REQUEST="true"))

    assert "4 organizaciones encontradas" in within_lag
    assert "Caficultores Nuevos de Apuela" not in within_lag
    assert "5 organizaciones encontradas" in page_after
    assert "Caficultores Nuevos de Apuela" in page_after
    assert "2 organizaciones encontradas" in fragment_after
    assert "Caficultores Nuevos de Apuela" in fragment_after


def test_the_htmx_fragment_and_the_page_are_cached_apart(client: Client, sample: Sample) -> None:
    page = text(client.get(LIST, {"q": "municipio"}))
    fragment = text(client.get(LIST, {"q": "municipio"}, HTTP_HX_REQUEST="true"))
    page_again = text(client.get(LIST, {"q": "municipio"}))

    assert "<html" in page and page_again == page
    assert "<html" not in fragment
    assert 'id="result-count" hx-swap-oob="innerHTML"' in fragment
    assert "1 organización encontrada" in fragment


@pytest.mark.parametrize(
    ("language", "shown"), [("es", "4 de mayo de 2001"), ("en", "May 4, 2001")]
)
def test_the_founding_date_is_written_in_the_pages_language(places, client, language, shown):
    from django.conf import settings as django_settings

    from .test_services import make_org

    org = make_org(places, founding_date=date(2001, 5, 4))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get(f"/actors/organizations/{org.pk}/")

    assert shown in response.content.decode()
