import json
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from minga.accounts import services as accounts
from minga.core.models import AuditEvent
from minga.socialincome import models, services

from .conftest import NOW, World, cedula, registry_csv
from .test_services import snapshot

pytestmark = pytest.mark.django_db


def login(client: Any, user: Any) -> Any:
    client.force_login(user)
    session = client.session
    session["minga_2fa_verified"] = True  # officials pass their second factor first
    session.save()
    return client


@pytest.fixture
def issued(world: World) -> World:
    services.month_issue(
        actor=world.official, programme=world.programme, period=date(2026, 1, 1), now=NOW
    )
    return world


def test_the_open_books_are_public_and_suppress_small_cells(client, issued):
    response = client.get("/socialincome/cotacachi-cuidados/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Cuentas abiertas: Ingreso social para el cuidado de Cotacachi" in body
    # Three households: every cell of January is withheld.
    assert "<td>—</td>" in body
    assert cedula(1) not in body


def test_an_official_issues_a_month_from_the_programme_page(client, world):
    login(client, world.official)

    response = client.post(
        "/socialincome/cotacachi-cuidados/manage/",
        {"action": "issue", "period": "2026-02"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Mes 2026-02 emitido: 6 créditos nuevos, 0 ya emitidos." in response.content.decode()
    assert models.Issuance.objects.filter(period_date=date(2026, 2, 1)).count() == 6


def test_a_bad_month_is_refused_by_its_field_and_issues_nothing(client, world):
    login(client, world.official)

    response = client.post(
        "/socialincome/cotacachi-cuidados/manage/", {"action": "issue", "period": "2026-13"}
    )

    assert response.status_code == 400
    assert "Escriba un mes válido: AAAA-MM, con el mes de 01 a 12." in response.content.decode()
    assert models.Issuance.objects.count() == 0


def test_an_official_of_another_territory_cannot_manage_the_programme(client, world):
    login(client, world.other_official)

    response = client.get("/socialincome/cotacachi-cuidados/manage/")

    assert response.status_code == 403


def test_an_officials_look_at_a_household_is_logged_and_shown_to_it(client, issued):
    household = models.Household.objects.get(registry_id="H1")
    login(client, issued.official)

    record = client.get(f"/socialincome/cotacachi-cuidados/households/{household.pk}/")

    assert record.status_code == 200
    assert cedula(1) in record.content.decode()
    assert models.RecordView.objects.filter(household=household).count() == 1
    client.logout()
    login(client, issued.resident)
    wallet = client.get("/socialincome/wallet/").content.decode()
    assert "<li>oficial · " in wallet


def test_a_provider_records_a_service_and_gets_a_code(client, issued):
    login(client, issued.delegate)
    accreditation = models.Accreditation.objects.get(category__code="eldercare")

    response = client.post(
        "/socialincome/cotacachi-cuidados/provider/",
        {
            "accreditation": accreditation.pk,
            "cedula": cedula(1),
            "service_date": "2026-03-01",
            "hours": "2",
        },
    )

    assert response.status_code == 200
    service = models.Service.objects.get()
    assert (service.amount, service.status) == (200, "pending")
    assert "créditos reservados hasta que el hogar confirme" in response.content.decode()


def test_a_provider_form_names_the_field_of_an_overdraft(client, issued):
    login(client, issued.delegate)
    accreditation = models.Accreditation.objects.get(category__code="eldercare")

    response = client.post(
        "/socialincome/cotacachi-cuidados/provider/",
        {
            "accreditation": accreditation.pk,
            "cedula": cedula(1),
            "service_date": "2026-03-01",
            "hours": "31",
        },
    )

    assert response.status_code == 400
    assert "no puede pasar de 24 horas en un día" in response.content.decode()
    assert models.Service.objects.count() == 0


def test_a_resident_sees_their_wallets_empty_from_enrolment_on(client, world):
    login(client, world.resident)

    body = client.get("/socialincome/wallet/").content.decode()

    # H1: an elder living alone, eligible for elder care and home care; nothing issued yet.
    assert '<th scope="row">Cuidado de personas mayores</th><td>0</td>' in body
    assert '<th scope="row">Cuidado en el hogar</th><td>0</td>' in body
    assert "Cuidado infantil" not in body


def test_a_resident_confirms_and_rates_from_the_wallet(client, issued):
    recorded = services.service_record(
        actor=issued.delegate,
        programme=issued.programme,
        organization=issued.cooperative,
        category_code="eldercare",
        cedula=cedula(1),
        service_date=date(2026, 3, 1),
        hours="1",
        now=NOW,
    )
    login(client, issued.resident)

    client.post(f"/socialincome/services/{recorded.service.pk}/confirm/")
    client.post(f"/socialincome/services/{recorded.service.pk}/rate/", {"rating": "5"})

    service = models.Service.objects.get()
    assert (service.status, service.rating) == ("confirmed", 5)


def test_another_household_cannot_confirm_a_service(client, issued):
    recorded = services.service_record(
        actor=issued.delegate,
        programme=issued.programme,
        organization=issued.cooperative,
        category_code="homecare",
        cedula=cedula(2),
        service_date=date(2026, 3, 1),
        hours="1",
        now=NOW,
    )
    login(client, issued.resident)

    response = client.post(f"/socialincome/services/{recorded.service.pk}/confirm/")

    assert response.status_code == 403
    assert models.Service.objects.get().status == "pending"


def test_a_wrong_door_code_is_refused_by_its_field(client, issued):
    response = client.post("/socialincome/code/", {"code": "12345678", "decision": "confirm"})

    assert response.status_code == 400
    assert "El código no corresponde a ningún servicio por confirmar." in response.content.decode()


# --- API -------------------------------------------------------------------------------------


def token(user: Any, role: str) -> str:
    issued = accounts.token_create(actor=user, user=user, role=role, now=timezone.now())
    return f"Bearer {issued.clear}"


def test_the_api_lists_programmes_and_books(client, issued):
    programmes = client.get("/api/v1/socialincome/programmes").json()
    books = client.get("/api/v1/socialincome/programmes/cotacachi-cuidados/books").json()

    assert [p["slug"] for p in programmes] == ["cotacachi-cuidados"]
    assert programmes[0]["categories"] == ["childcare", "eldercare", "disability", "homecare"]
    assert {i["category"]: (i["issued"], i["holds"]) for i in books["identity"]} == {
        "childcare": (2000, True),
        "eldercare": (3000, True),
        "disability": (1000, True),
        "homecare": (4000, True),
    }


def test_a_delegate_records_a_service_through_the_api_and_the_household_confirms_by_code(
    client, issued
):
    auth = token(issued.delegate, "delegate")

    created = client.post(
        "/api/v1/socialincome/programmes/cotacachi-cuidados/services",
        data=json.dumps(
            {
                "organization_id": issued.cooperative.pk,
                "category": "eldercare",
                "cedula": cedula(1),
                "service_date": "2026-03-01",
                "hours": "1.25",
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )
    confirmed = client.post(
        "/api/v1/socialincome/services/code",
        data=json.dumps({"code": created.json()["code"], "confirm": True}),
        content_type="application/json",
    )

    assert created.status_code == 201
    assert created.json()["amount"] == 125
    assert confirmed.json()["status"] == "confirmed"


def test_the_api_refuses_an_overdraft_naming_the_field_and_changes_nothing(client, issued):
    auth = token(issued.delegate, "delegate")
    audit = AuditEvent.objects.count()

    response = client.post(
        "/api/v1/socialincome/programmes/cotacachi-cuidados/services",
        data=json.dumps(
            {
                "organization_id": issued.cooperative.pk,
                "category": "eldercare",
                "cedula": cedula(1),
                "service_date": "2026-03-01",
                "hours": "24",
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )
    response2 = client.post(
        "/api/v1/socialincome/programmes/cotacachi-cuidados/services",
        data=json.dumps(
            {
                "organization_id": issued.cooperative.pk,
                "category": "eldercare",
                "cedula": cedula(1),
                "service_date": "2026-03-02",
                "hours": "7",
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )

    assert response.status_code == 201
    assert response2.status_code == 400
    assert response2.json() == {
        "message": "Saldo insuficiente: disponible 600, requerido 700.",
        "field": "hours",
    }
    assert models.Service.objects.count() == 1
    assert AuditEvent.objects.count() == audit + 2  # the ledger batch and the record, once


def test_the_api_refuses_a_delegate_of_another_organisation(client, issued):
    auth = token(issued.delegate, "delegate")

    response = client.post(
        "/api/v1/socialincome/programmes/cotacachi-cuidados/services",
        data=json.dumps(
            {
                "organization_id": issued.firm.pk,
                "category": "eldercare",
                "cedula": cedula(1),
                "service_date": "2026-03-01",
                "hours": "1",
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )

    assert response.status_code == 403
    assert response.json()["field"] == "organization_id"


def test_an_official_issues_through_the_api_idempotently(client, world):
    auth = token(world.official, "official")

    first = client.post(
        "/api/v1/socialincome/programmes/cotacachi-cuidados/issue",
        data=json.dumps({"period": "2026-01"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )
    second = client.post(
        "/api/v1/socialincome/programmes/cotacachi-cuidados/issue",
        data=json.dumps({"period": "2026-01"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )

    assert first.json() == {"period": "2026-01", "written": 6, "done_before": 0, "amount": 10000}
    assert second.json() == {"period": "2026-01", "written": 0, "done_before": 6, "amount": 0}


REGISTRY_API = "/api/v1/socialincome/programmes/cotacachi-cuidados/registry"


def upload(data: bytes, name: str = "registro.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_an_official_imports_the_registry_through_the_api(client, world):
    auth = token(world.official, "official")
    rows = [
        (1, "H1", "1950-05-01", "50.00", "no"),  # income changed
        (2, "H2", "1990-01-01", "300.00", "no"),
        (3, "H2", "2024-06-01", "0", "no"),
        (4, "H3", "1980-01-01", "1200.00", "sí"),
        (5, "H4", "2000-02-02", "80.00", "no"),  # new, in a new household
    ]

    response = client.post(
        REGISTRY_API, {"file": upload(registry_csv(rows))}, HTTP_AUTHORIZATION=auth
    )

    body = response.json()
    run = models.ImportRun.objects.get(pk=body["id"])
    assert response.status_code == 200
    assert {k: body[k] for k in ("rows", "households_added", "added", "updated", "removed")} == {
        "rows": 5,
        "households_added": 1,
        "added": 1,
        "updated": 1,
        "removed": 0,
    }
    assert run.filename == "registro.csv"
    assert run.actor_label == world.official.username
    # The audit event holds the counts, never the people.
    event = AuditEvent.objects.filter(action="socialincome.registry_import").latest("seq")
    assert event.after == {"rows": 5, "added": 1, "updated": 1, "removed": 0}
    assert models.Member.objects.get(cedula=cedula(5)).household.registry_id == "H4"
    # The new household's wallet is open from its enrolment on.
    assert models.Wallet.objects.filter(household__registry_id="H4").exists()


def test_a_bad_registry_file_is_refused_by_line_through_the_api_and_changes_nothing(client, world):
    auth = token(world.official, "official")
    before = snapshot()
    data = (
        "cedula,household_id,birth_date,income,disability\n"
        f"{cedula(9)},H9,1970-01-01,100.00,no\n"
        "1000000001,H9,1970-01-01,100.00,no\n"
        f"{cedula(10)},H9,1970-13-01,diez,no\n"
    ).encode()

    response = client.post(REGISTRY_API, {"file": upload(data)}, HTTP_AUTHORIZATION=auth)

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "file"
    assert body["message"].startswith("línea 3, cedula: el dígito verificador es 1")
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (3, "cedula"),
        (4, "birth_date"),
        (4, "income"),
    ]
    assert body["errors"][2]["message"] == "no es un importe (ej. 350.00)"
    assert snapshot() == before


def test_a_registry_file_that_is_not_utf8_is_refused_through_the_api(client, world):
    auth = token(world.official, "official")
    before = snapshot()

    response = client.post(
        REGISTRY_API,
        {"file": upload("cedula,household_id\nÑ".encode("latin-1"))},
        HTTP_AUTHORIZATION=auth,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 1, "field": "file", "message": "el archivo no está en UTF-8"}
    ]
    assert snapshot() == before


def test_the_registry_api_needs_a_file_a_token_and_an_official_of_the_territory(client, world):
    official = token(world.official, "official")
    delegate = token(world.delegate, "delegate")
    other = token(world.other_official, "official")
    before = snapshot()
    data = registry_csv([(9, "H9", "1970-01-01", "100.00", "no")])

    def post(auth: str | None, url: str = REGISTRY_API, with_file: bool = True) -> Any:
        headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
        return client.post(url, {"file": upload(data)} if with_file else {}, **headers)

    answers = [
        post(None),
        post(delegate),
        post(other),
        post(official, "/api/v1/socialincome/programmes/nadie/registry"),
        post(official, with_file=False),
    ]

    assert [(a.status_code, a.json()["field"]) for a in answers] == [
        (401, "Authorization"),
        (401, "Authorization"),
        (403, "slug"),
        (404, "slug"),
        (422, "file"),
    ]
    assert snapshot() == before
