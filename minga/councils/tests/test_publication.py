"""Filling a civil vacancy by recount (page and API), publishing decisions and minutes (page
and API), the Popolo export, the territory page's section, the HTMX meeting page and the
read-only admin."""

from datetime import UTC, date, datetime

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from minga.accounts.middleware import SESSION_KEY
from minga.accounts.services import token_create
from minga.core.opendata import dataset
from minga.councils import selectors, services
from minga.councils.models import Decision, Mandate, Source

from .conftest import NOW, make_user
from .helpers import MODELS, elect_civil_small, snapshot

pytestmark = pytest.mark.django_db
BASE = "/api/v1/councils"
MEETING_AT = datetime(2026, 10, 5, 15, 0, tzinfo=UTC)


def login(client, user):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True  # officials pass their second factor first
    session.save()


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def counted(world, term):
    return elect_civil_small(world, term)


@pytest.fixture
def vacancy(world, counted):
    """Persona D (candidate 1, civil seat 1) has left: the seat is vacant."""
    departed = selectors.composition(term=counted.term).civil[0].mandate
    services.mandate_end(
        actor=world.official,
        mandate=departed,
        end_date=date(2026, 9, 1),
        reason="Renuncia",
        now=NOW,
    )
    return departed.seat


@pytest.fixture
def official_token(world):
    return token_create(actor=None, user=world.official, role="official", now=NOW).clear


def meeting_with_members(world, term, present=(0, 1, 2, 3, 4, 5)):
    """A meeting with the members at these positions present (civil seats 1-3 come first,
    then government seats 1-3)."""
    meeting = services.meeting_create(
        actor=world.official,
        council=term.council,
        title="Sesión ordinaria",
        starts_at=MEETING_AT,
        now=NOW,
    )
    members = selectors.members_at(meeting=meeting)
    services.meeting_attendance_record(
        actor=world.official, meeting=meeting, present=[members[i] for i in present], now=NOW
    )
    return meeting, members


@pytest.fixture
def passed_motion(world, counted):
    meeting, members = meeting_with_members(world, counted.term)
    motion = services.motion_create(
        actor=world.official, meeting=meeting, title="Priorizar el agua en Apuela", now=NOW
    )
    return services.motion_votes_record(
        actor=world.official, motion=motion, votes={m.pk: "yes" for m in members}, now=NOW
    )


# --- a civil vacancy filled by recount --------------------------------------------------------


def test_the_recount_page_shows_who_would_fill_the_seat_and_the_sheet_before_confirming(
    client, world, vacancy
):
    login(client, world.official)
    before = snapshot()

    response = client.get(reverse("councils:recount", args=[vacancy.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ocupa el puesto: Persona E (candidatura 2)." in html
    assert "Persona D (2026-09-01: Renuncia)" in html
    assert "<caption>Etapas del recuento</caption>" in html
    assert "Retiradas del recuento: 1. Conservan su puesto: 3, 4." in html
    assert snapshot() == before  # showing the recount writes nothing


def test_an_official_fills_the_vacancy_and_the_recount_sheet_is_published(client, world, vacancy):
    login(client, world.official)

    response = client.post(
        reverse("councils:recount", args=[vacancy.pk]), {"start_date": "2026-09-02"}
    )
    client.logout()
    mandate = Mandate.objects.get(seat=vacancy, end_date__isnull=True)
    sheet = client.get(reverse("councils:recount_sheet", args=[mandate.pk]))
    detail = client.get(reverse("councils:detail", args=[vacancy.term.council_id]))

    assert response.url == reverse("councils:recount_sheet", args=[mandate.pk])
    assert (mandate.person.name, mandate.source, mandate.start_date) == (
        "Persona E",
        Source.RECOUNT,
        date(2026, 9, 2),
    )
    html = sheet.content.decode()
    assert sheet.status_code == 200
    assert "Reemplaza a" in html and "Persona D (2026-09-01: Renuncia)" in html
    assert html.count("<tr>") == 1 + len(mandate.recount_sheet["recount"]["stages"])
    assert reverse("councils:recount_sheet", args=[mandate.pk]) in detail.content.decode()


def test_a_refused_recount_names_the_field_and_changes_nothing(client, world, vacancy):
    login(client, world.official)
    url = reverse("councils:recount", args=[vacancy.pk])
    before = snapshot()

    no_date = client.post(url, {"start_date": "septiembre"})
    outside = client.post(url, {"start_date": "2030-01-01"})

    assert no_date.status_code == 400
    assert 'aria-describedby="id_start_date-error"' in no_date.content.decode()
    assert outside.status_code == 400
    assert "La fecha debe estar dentro del periodo (del 2026-01-01 al 2028-01-01)." in (
        outside.content.decode()
    )
    assert snapshot() == before


def test_the_recount_page_says_why_an_occupied_seat_cannot_be_recounted(client, world, counted):
    login(client, world.official)
    seat = selectors.composition(term=counted.term).civil[1].seat
    before = snapshot()

    page = client.get(reverse("councils:recount", args=[seat.pk]))
    post = client.post(reverse("councils:recount", args=[seat.pk]), {"start_date": "2026-09-02"})

    assert "El puesto no está vacante." in page.content.decode()
    assert "Llenar el puesto con este recuento" not in page.content.decode()
    assert post.status_code == 400
    assert "El puesto no está vacante." in post.content.decode()
    assert snapshot() == before


def test_only_an_official_of_the_territory_fills_a_vacancy(client, world, vacancy):
    login(client, world.other_official)
    before = snapshot()

    response = client.post(
        reverse("councils:recount", args=[vacancy.pk]), {"start_date": "2026-09-02"}
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_a_mandate_not_filled_by_recount_has_no_recount_sheet(client, counted):
    mandate = selectors.composition(term=counted.term).civil[0].mandate

    assert client.get(reverse("councils:recount_sheet", args=[mandate.pk])).status_code == 404


def test_the_api_fills_a_vacancy_by_recount_and_answers_with_the_sheet(
    client, world, vacancy, official_token
):
    url = f"{BASE}/seats/{vacancy.pk}/recount"
    government_seat = selectors.composition(term=vacancy.term).government[0].seat
    before = snapshot()

    anonymous = client.post(url, {"start_date": "2026-09-02"}, content_type="application/json")
    wrong_side = client.post(
        f"{BASE}/seats/{government_seat.pk}/recount",
        {"start_date": "2026-09-02"},
        content_type="application/json",
        **auth(official_token),
    )
    malformed = client.post(
        url, {"start_date": "mañana"}, content_type="application/json", **auth(official_token)
    )
    assert anonymous.status_code == 401
    assert wrong_side.status_code == 400
    assert wrong_side.json() == {
        "message": "Una vacante del gobierno se llena con una nueva designación, no con un "
        "recuento.",
        "field": "seat",
    }
    assert (malformed.status_code, malformed.json()["field"]) == (422, "start_date")
    assert snapshot() == before

    filled = client.post(
        url, {"start_date": "2026-09-02"}, content_type="application/json", **auth(official_token)
    )

    body = filled.json()
    assert filled.status_code == 201
    assert (body["person"], body["start_date"]) == ("Persona E", "2026-09-02")
    assert body["departed_person_id"] == world.persons[3].pk
    assert body["recount_sheet"]["candidates"] == [2]
    assert body["recount_sheet"]["recount"]["withdrawn"] == [1]


# --- decisions and minutes --------------------------------------------------------------------


def test_an_official_publishes_a_priority_need_from_the_decision_page(client, world, passed_motion):
    login(client, world.official)
    url = reverse("councils:decision", args=[passed_motion.pk])
    data = {
        "text": "Agua potable para Apuela",
        "is_priority_need": "on",
        "territory": world.parish.pk,
    }
    before = snapshot()

    missing = client.post(url, data)

    assert missing.status_code == 400
    assert 'id="id_service_category-error"' in missing.content.decode()
    assert "Una necesidad prioritaria lleva una categoría de servicio." in missing.content.decode()
    assert snapshot() == before
    published = client.post(url, {**data, "service_category": "water"})
    decision = Decision.objects.get()
    assert published.url == reverse("councils:meeting", args=[passed_motion.meeting_id])
    assert (decision.service_category, decision.territory, decision.text) == (
        "water",
        world.parish,
        "Agua potable para Apuela",
    )
    assert list(selectors.priority_needs(territory=world.canton)) == [decision]


def test_the_api_publishes_a_decision_and_refuses_bad_ones_naming_the_field(
    client, world, passed_motion, official_token
):
    url = f"{BASE}/motions/{passed_motion.pk}/decision"
    payload = {
        "text": "Agua potable para Apuela",
        "is_priority_need": True,
        "service_category": "water",
        "territory_code": "100351",
    }
    other_token = token_create(actor=None, user=world.other_official, role="official", now=NOW)
    before = snapshot()

    unknown = client.post(
        url,
        {**payload, "territory_code": "999999"},
        content_type="application/json",
        **auth(official_token),
    )
    outside = client.post(
        url,
        {**payload, "territory_code": "1001"},
        content_type="application/json",
        **auth(official_token),
    )
    uncategorised = client.post(
        url,
        {**payload, "service_category": "spaceflight"},
        content_type="application/json",
        **auth(official_token),
    )
    other_official = client.post(
        url,
        payload,
        content_type="application/json",
        **auth(other_token.clear),
    )

    assert (unknown.status_code, unknown.json()["field"]) == (404, "territory_code")
    assert outside.json() == {
        "message": "El territorio debe ser COTACACHI o estar dentro de él.",
        "field": "territory",
    }
    assert uncategorised.json() == {
        "message": "Una necesidad prioritaria lleva una categoría de servicio.",
        "field": "service_category",
    }
    assert other_official.status_code == 403
    assert snapshot() == before
    published = client.post(url, payload, content_type="application/json", **auth(official_token))
    again = client.post(url, payload, content_type="application/json", **auth(official_token))
    assert published.status_code == 201
    body = published.json()
    assert (body["motion_id"], body["service_category"], body["territory_code"]) == (
        passed_motion.pk,
        "water",
        "100351",
    )
    assert again.json() == {
        "message": "Esta moción ya tiene su decisión publicada.",
        "field": "motion",
    }


def test_a_rejected_motion_gives_no_decision_through_the_api(
    client, world, counted, official_token
):
    meeting, members = meeting_with_members(world, counted.term)
    motion = services.motion_create(actor=world.official, meeting=meeting, title="No", now=NOW)
    services.motion_votes_record(
        actor=world.official, motion=motion, votes={m.pk: "no" for m in members}, now=NOW
    )
    before = snapshot()

    response = client.post(
        f"{BASE}/motions/{motion.pk}/decision",
        {"text": "Nada"},
        content_type="application/json",
        **auth(official_token),
    )

    assert response.json() == {
        "message": "Solo una moción aprobada produce una decisión.",
        "field": "motion",
    }
    assert snapshot() == before


def test_the_api_publishes_the_minutes_and_refuses_empty_ones(
    client, world, counted, official_token
):
    meeting, _members = meeting_with_members(world, counted.term)
    url = f"{BASE}/meetings/{meeting.pk}/minutes"
    before = snapshot()

    blank = client.post(
        url, {"minutes": "   "}, content_type="application/json", **auth(official_token)
    )
    missing = client.post(url, {}, content_type="application/json", **auth(official_token))

    assert blank.json() == {"message": "El acta es obligatorio.", "field": "minutes"}
    assert (missing.status_code, missing.json()["field"]) == (422, "minutes")
    assert snapshot() == before
    published = client.post(
        url,
        {"minutes": "Se aprobó la moción."},
        content_type="application/json",
        **auth(official_token),
    )
    assert published.status_code == 200
    assert published.json()["minutes"] == "Se aprobó la moción."
    assert client.get(f"{BASE}/meetings/{meeting.pk}").json()["minutes"] == "Se aprobó la moción."


# --- Popolo, open data, the territory page ----------------------------------------------------


def test_the_popolo_export_carries_posts_and_memberships_with_their_dates(client, world, vacancy):
    services.vacancy_fill_by_recount(
        actor=world.official, seat=vacancy, start_date=date(2026, 9, 2), now=NOW
    )

    page = client.get(reverse("councils:popolo"))
    api = client.get(f"{BASE}/popolo")

    assert page["Content-Type"] == "application/json; charset=utf-8"
    document = page.json()
    assert api.json() == document
    council_id = f"council/{vacancy.term.council_id}"
    assert document["organizations"] == [
        {
            "id": council_id,
            "name": "Consejo Cantonal de Cotacachi",
            "classification": "council",
            "area_id": "territory/1003",
        }
    ]
    post = next(p for p in document["posts"] if p["id"] == f"council-seat/{vacancy.pk}")
    assert (post["role"], post["start_date"], post["end_date"]) == (
        "civil",
        "2026-01-01",
        "2027-12-31",
    )
    seat_memberships = [
        (m["person_id"], m["start_date"], m["end_date"], m["on_behalf_of_id"] is not None)
        for m in document["memberships"]
        if m["post_id"] == post["id"]
    ]
    assert seat_memberships == [
        (f"person/{world.persons[3].pk}", "2026-03-02", "2026-08-31", True),
        (f"person/{world.persons[4].pk}", "2026-09-02", None, True),
    ]
    government = [m for m in document["memberships"] if m["on_behalf_of_id"] is None]
    assert len(government) == 3
    assert len(document["posts"]) == 6


def test_the_popolo_dataset_is_registered_in_open_data(world, counted):
    popolo = dataset("council-popolo")

    rows = list(popolo.rows())

    assert popolo.columns == ("type", "id", "name", "data")
    assert [r["type"] for r in rows].count("membership") == 6
    assert [r["type"] for r in rows].count("post") == 6
    assert {r["type"] for r in rows} == {"person", "organization", "membership", "post"}


def test_the_territory_page_shows_its_council_and_the_priority_needs_under_it(
    client, world, passed_motion
):
    services.decision_publish(
        actor=world.official,
        motion=passed_motion,
        text="Agua potable para Apuela",
        is_priority_need=True,
        service_category="water",
        territory=world.parish,
        now=NOW,
    )

    canton = client.get(reverse("territories:detail", args=["EC", "1003"])).content.decode()
    parish = client.get(reverse("territories:detail", args=["EC", "100351"])).content.decode()
    other = client.get(reverse("territories:detail", args=["EC", "1001"])).content.decode()

    assert "Consejos paritarios y necesidades prioritarias" in canton
    assert reverse("councils:detail", args=[passed_motion.meeting.council_id]) in canton
    assert "Agua potable para Apuela" in canton and "Agua y saneamiento" in canton
    assert "Agua potable para Apuela" in parish
    assert "3 puestos del gobierno local" not in parish  # the council is the canton's
    assert "Consejos paritarios y necesidades prioritarias" not in other


def test_the_territory_section_is_left_out_where_there_is_nothing_to_show(world):
    assert selectors.territory_section(world.canton) is None


def test_the_territory_section_shows_the_current_composition(world, counted):
    section = selectors.territory_section(world.canton, on=date(2026, 6, 1))

    [item] = section["councils"]
    assert item["council"] == counted.term.council
    assert item["composition"].vacancies == 0
    assert section["needs"] == []


# --- the meeting page with HTMX ---------------------------------------------------------------


def test_attendance_sent_by_htmx_answers_with_the_live_part_of_the_page(client, world, counted):
    meeting = services.meeting_create(
        actor=world.official, council=counted.term.council, title="S", starts_at=MEETING_AT, now=NOW
    )
    members = selectors.members_at(meeting=meeting)
    login(client, world.official)
    url = reverse("councils:attendance", args=[meeting.pk])

    htmx = client.post(url, {"present": [m.pk for m in members[:4]]}, HTTP_HX_REQUEST="true")
    plain = client.post(url, {"present": [m.pk for m in members]})

    html = htmx.content.decode()
    assert htmx.status_code == 200
    assert "<html" not in html
    assert "Asistencia registrada." in html
    assert "No hay quórum" in html  # 3 civil and 1 government: one side below half
    assert plain.status_code == 302
    assert selectors.meeting_quorum(meeting=meeting).present_total == 6


@pytest.mark.parametrize("value", ["x", "²"])  # "²" passes str.isdigit(), not int()
def test_a_refused_htmx_attendance_shows_the_error_and_changes_nothing(
    client, world, counted, value
):
    meeting = services.meeting_create(
        actor=world.official, council=counted.term.council, title="S", starts_at=MEETING_AT, now=NOW
    )
    login(client, world.official)
    before = snapshot()

    response = client.post(
        reverse("councils:attendance", args=[meeting.pk]),
        {"present": [value]},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert f"Asistencia: «{value}» no es un miembro." in response.content.decode()
    assert snapshot() == before


def test_a_motion_is_put_and_voted_by_htmx_and_passes(client, world, counted):
    meeting, members = meeting_with_members(world, counted.term, present=(0, 1, 3, 4))
    members = [members[i] for i in (0, 1, 3, 4)]
    login(client, world.official)

    put = client.post(
        reverse("councils:motion_create", args=[meeting.pk]),
        {"title": "Moción A"},
        HTTP_HX_REQUEST="true",
    )
    motion = selectors.motions_of(meeting=meeting).get()
    prefix = f"motion{motion.pk}"
    votes = {f"{prefix}-vote_{m.pk}": "yes" for m in members[:4]}
    votes[f"{prefix}-vote_{members[3].pk}"] = "no"
    voted = client.post(
        reverse("councils:motion_votes", args=[motion.pk]), votes, HTTP_HX_REQUEST="true"
    )

    assert "Moción presentada: Moción A." in put.content.decode()
    assert f'name="{prefix}-vote_{members[0].pk}"' in put.content.decode()
    html = voted.content.decode()
    assert "Votación registrada: Aprobada." in html
    assert "3 a favor, 1 en contra, 0 abstenciones" in html
    assert html.count("<td>A favor</td>") == 3


def test_a_vote_without_quorum_by_htmx_is_refused_and_changes_nothing(client, world, counted):
    meeting, members = meeting_with_members(world, counted.term, present=(3, 4))
    motion = services.motion_create(actor=world.official, meeting=meeting, title="M", now=NOW)
    login(client, world.official)
    before = snapshot()

    response = client.post(
        reverse("councils:motion_votes", args=[motion.pk]),
        {f"motion{motion.pk}-vote_{members[3].pk}": "yes"},
        HTTP_HX_REQUEST="true",
    )

    assert "No hay quórum: 2 de 6 puestos presentes (gobierno 2, sociedad civil 0)." in (
        response.content.decode()
    )
    assert snapshot() == before


def test_the_public_meeting_page_shows_votes_by_name_and_no_forms(client, world, passed_motion):
    response = client.get(reverse("councils:meeting", args=[passed_motion.meeting_id]))

    html = response.content.decode()
    assert html.count("<td>A favor</td>") == 6
    assert "Aprobada" in html
    assert '<form method="post" action="/councils/' not in html


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_shows_every_councils_model_read_only(client, world, counted):
    request = RequestFactory().get("/admin/")
    request.user = make_user("raiz")
    request.user.is_superuser = request.user.is_staff = True
    request.user.save()
    login(client, request.user)

    for model in MODELS:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
        assert model_admin.has_view_permission(request), model
    page = client.get(reverse("admin:councils_mandate_changelist"))
    add = client.get(reverse("admin:councils_council_add"))
    assert page.status_code == 200
    assert "Persona A" in page.content.decode()
    assert add.status_code == 403
