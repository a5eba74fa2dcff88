"""The journeys of issue 6: an official issues a month; a provider records a service; the
resident confirms and rates it; the public reads the open books. The axe-core WCAG 2.2 AA check
runs on every page visited."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from minga.accounts.middleware import SESSION_KEY
from minga.socialincome import models

from ..conftest import cedula


def sign_in(page, live_server, user):
    """Signs the browser in as `user` with the second factor passed, as the TOTP step leaves
    the session."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_month_is_issued_a_service_recorded_confirmed_rated_and_published(
    page, axe, live_server, world
):
    # An official issues January.
    sign_in(page, live_server, world.official)
    page.goto("/socialincome/cotacachi-cuidados/manage/")
    axe(page)
    page.get_by_label("Mes (AAAA-MM)").fill("2026-13")
    page.get_by_role("button", name="Emitir el mes").click()
    expect(
        page.get_by_text("Escriba un mes válido: AAAA-MM, con el mes de 01 a 12.")
    ).to_be_visible()
    axe(page)
    page.get_by_label("Mes (AAAA-MM)").fill("2026-01")
    page.get_by_role("button", name="Emitir el mes").click()
    expect(
        page.get_by_text("Mes 2026-01 emitido: 6 créditos nuevos, 0 ya emitidos.")
    ).to_be_visible()
    axe(page)

    # The cooperative's delegate records two hours of elder care.
    sign_in(page, live_server, world.delegate)
    page.goto("/socialincome/cotacachi-cuidados/provider/")
    axe(page)
    page.get_by_label("Organización y categoría").select_option(
        label="Cooperativa de Cuidados Sumak Kawsay · Cuidado de personas mayores"
    )
    page.get_by_label("Cédula de la persona atendida").fill(cedula(1))
    page.get_by_label("Fecha del servicio").fill("2026-02-10")
    page.get_by_label("Horas").fill("2")
    page.get_by_role("button", name="Registrar el servicio").click()
    status = page.get_by_role("status")
    assert "200 créditos reservados" in status.inner_text()
    assert re.search(r"\b\d{8}\b", status.inner_text())
    axe(page)

    # The resident confirms it from the wallet and rates it.
    sign_in(page, live_server, world.resident)
    page.goto("/socialincome/wallet/")
    axe(page)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_text("Servicio confirmado.")).to_be_visible()
    axe(page)
    page.get_by_label("Valoración (1 a 5)").select_option("5")
    page.get_by_role("button", name="Valorar").click()
    expect(page.get_by_text("Gracias por su valoración.")).to_be_visible()
    axe(page)
    service = models.Service.objects.get()
    assert (service.status, service.rating) == ("confirmed", 5)

    # The public reads the open books.
    page.context.clear_cookies()
    page.goto("/socialincome/")
    axe(page)
    page.get_by_role("link", name="Ingreso social para el cuidado de Cotacachi").click()
    identity = page.get_by_role("table", name=re.compile("Emitido = canjeado"))
    assert identity.get_by_role("row", name=re.compile("eldercare")).inner_text().split("\t") == [
        "eldercare",
        "3000",
        "200",
        "0",
        "2800",
        "Sí",
    ]
    axe(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_official_settles_and_imports_the_banks_answer(page, axe, live_server, world, tmp_path):
    from datetime import date

    from minga.socialincome import services

    from ..conftest import NOW

    models.Accreditation.objects.update(bank_account="2200123456", bank_bic="PICHECEQXXX")
    services.month_issue(actor="t", programme=world.programme, period=date(2026, 1, 1), now=NOW)
    recorded = services.service_record(
        actor=world.delegate,
        programme=world.programme,
        organization=world.cooperative,
        category_code="eldercare",
        cedula=cedula(1),
        service_date=date(2026, 2, 10),
        hours="2",
        now=NOW,
    )
    services.service_confirm(actor="t", service=recorded.service, now=NOW)

    sign_in(page, live_server, world.official)
    page.goto("/socialincome/cotacachi-cuidados/manage/")
    page.get_by_label("Liquidar servicios confirmados hasta (AAAA-MM-DD)").fill(
        NOW.date().isoformat()
    )
    page.get_by_role("button", name="Liquidar", exact=True).click()
    expect(page.get_by_text("1 pagos por enviar al banco.")).to_be_visible()
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("archivo csv")).click()
    end_to_end_id = download.value.path().read_text().splitlines()[1].split(",")[0]
    answer = tmp_path / "respuesta.csv"
    answer.write_text(f"id,status\n{end_to_end_id},ACSC\n")
    page.get_by_label("Respuesta del banco (CSV id,status)").set_input_files(str(answer))
    page.get_by_role("button", name="Importar la respuesta del banco").click()
    expect(page.get_by_text("Respuesta del banco: 1 pagados, 0 rechazados.")).to_be_visible()
    payments = page.get_by_role("table", name="Pagos a proveedores")
    assert (
        payments.get_by_role("row", name=re.compile(end_to_end_id))
        .get_by_text("Pagado")
        .is_visible()
    )
    axe(page)
