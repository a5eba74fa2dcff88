"""The governance journey: an official proposes a parameter change (a refused value first), the
board votes it, the official records the board's decision, and the public reads the proposal
in the open books. The axe-core WCAG 2.2 AA check runs on every page visited."""

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from minga.socialincome import models, views

from ..board import board_vote, make_board
from .test_journeys import sign_in

# The pages read the clock: it is set a few days after the fixtures' NOW, so that the proposal
# (in force from April) is in the future and the board's meeting of 10 March is upcoming.
CLOCK = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_official_proposes_a_change_and_records_the_boards_approval(
    page, axe, live_server, world, monkeypatch
):
    monkeypatch.setattr(views, "timezone", SimpleNamespace(now=lambda: CLOCK))
    world.programme.board = make_board(world)
    world.programme.save(update_fields=["board"])

    # The official proposes a change that breaks the bands, then a good one.
    sign_in(page, live_server, world.official)
    page.goto("/socialincome/cotacachi-cuidados/manage/")
    axe(page)
    page.get_by_label("Resumen de la propuesta").first.fill("Más horas de cuidado en el hogar")
    page.get_by_label("Vigente desde (AAAA-MM-DD)").first.fill("2026-04-01")
    page.get_by_label("Cuidado en el hogar · Banda 4 (allotment:4:homecare)").fill("9000")
    page.get_by_role("button", name="Proponer el cambio").click()
    expect(page.get_by_text("una banda más alta no recibe más que la anterior")).to_be_visible()
    assert not models.ParameterChange.objects.filter(status="proposed").exists()
    axe(page)
    page.get_by_label("Cuidado en el hogar · Banda 4 (allotment:4:homecare)").fill("500")
    page.get_by_label("Cuidado en el hogar · Banda 1 (allotment:1:homecare)").fill("2500")
    page.get_by_role("button", name="Proponer el cambio").click()
    change = models.ParameterChange.objects.get(status="proposed")
    expect(page.get_by_text(f"Propuesta n.º {change.pk} registrada")).to_be_visible()
    assert change.values == {"allotment:1:homecare": 2500}
    axe(page)

    # The board votes it; the official records the decision.
    motion = board_vote(world, world.programme.board, title="Más horas", yes=True)
    page.reload()
    row = page.locator(f"#propuesta-{change.pk}")
    row.get_by_label("Moción votada por el directorio").select_option(str(motion.pk))
    row.get_by_role(
        "button", name=f"Registrar la decisión sobre la propuesta n.º {change.pk}"
    ).click()
    expect(page.get_by_text(f"Propuesta n.º {change.pk}: aprobado.")).to_be_visible()
    axe(page)

    # The public reads it in the open books.
    page.context.clear_cookies()
    page.goto("/socialincome/cotacachi-cuidados/")
    changes = page.get_by_role("table", name=re.compile("Todas las propuestas"))
    assert "Aprobado" in changes.get_by_role("row", name=re.compile("Más horas")).inner_text()
    axe(page)
