"""An auditor's journey through the public ledger pages, each checked with axe (WCAG 2.2 AA)."""

import pytest

from minga.ledger import demo, selectors
from minga.ledger.tests.factories import T0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_auditor_follows_a_ledger_to_an_account_and_verifies_it(page, axe, ledger_transactional):
    demo.load(now=T0)

    page.goto("/ledger/")
    axe(page)
    page.get_by_role("link", name="840 · Dólar estadounidense").click()
    page.wait_for_url("**/ledger/840/")
    axe(page)
    page.get_by_role("link", name="840002").click()
    page.wait_for_url("**/ledger/accounts/840002/")
    assert page.get_by_role("heading", level=1).inner_text() == "Cuenta 840002"
    axe(page)
    page.get_by_role("link", name="Diario").click()
    page.wait_for_url("**/ledger/journal/")
    assert page.get_by_text(selectors.ledger_head().last_hash).count() >= 1
    axe(page)
    page.get_by_role("link", name="Verificación").click()
    page.wait_for_url("**/ledger/verify/")
    status = page.get_by_role("status").filter(has_text="Verificado").inner_text()
    assert status == "Verificado: 11 asientos y 9 cuentas cuadran."
    axe(page)
