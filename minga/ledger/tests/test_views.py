"""The auditor's pages: public, read-only, and exact about totals, balances and hashes."""

import pytest
from django.urls import reverse

from minga.ledger import selectors, services
from minga.ledger.tests.factories import T0, at, create_transfers, funded_pair, transfer
from minga.ledger.views import amount_display


@pytest.fixture
def dollars(db):
    services.ledger_define(number=840, name="Dólar", unit="USD", scale=2, now=T0)
    funded_pair(funding=12345)
    create_transfers(transfer(1, 2, 3, 2345), now=at(1))


def test_amounts_show_in_major_units_exactly():
    assert amount_display(12345, 2) == "123.45"
    assert amount_display(-5, 2) == "-0.05"
    assert amount_display(1234567, 0) == "1,234,567"
    assert amount_display(10**18 + 1, 18) == "1.000000000000000001"


@pytest.mark.django_db
def test_the_ledger_index_lists_each_ledger_with_its_totals_and_the_journal_hash(client, dollars):
    response = client.get(reverse("ledger:index"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "840 · Dólar" in html
    assert "<td>146.90</td>" in html
    assert selectors.ledger_head().last_hash in html


@pytest.mark.django_db
def test_a_ledger_page_shows_its_accounts_and_its_latest_hash(client, dollars):
    response = client.get(reverse("ledger:detail", args=[840]))

    html = response.content.decode()
    assert response.status_code == 200
    assert selectors.transfer_hash(transfer_id=1) in html
    assert reverse("ledger:account", args=["2"]) in html
    assert "<td>23.45</td>" in html


@pytest.mark.django_db
def test_an_account_page_shows_its_balances_and_transfers(client, dollars):
    response = client.get(reverse("ledger:account", args=["3"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Cuenta 3" in html
    assert "<td>23.45</td>" in html


@pytest.mark.django_db
def test_the_journal_shows_each_entry_with_its_hash(client, dollars):
    response = client.get(reverse("ledger:journal"))

    html = response.content.decode()
    for entry in selectors.journal_page().entries:
        assert entry.hash in html


@pytest.mark.django_db
def test_the_verify_page_says_the_ledger_balances(client, dollars):
    response = client.get(reverse("ledger:verify"))

    assert "Verificado: 2 asientos y 3 cuentas cuadran." in response.content.decode()


@pytest.mark.django_db
def test_the_verify_page_shows_a_discrepancy(client, dollars):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET credits_posted = 1 WHERE id = %s", ["0" * 38 + "3"]
        )

    response = client.get(reverse("ledger:verify"))

    assert "Discrepancia: account 3: credits_posted 1 (transfers give 2345)" in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_a_bad_page_parameter_is_answered_with_a_clear_400(client, dollars):
    response = client.get(reverse("ledger:journal") + "?after=ayer")

    assert response.status_code == 400
    assert "after: «after» debe ser un número entero no negativo." in response.content.decode()


@pytest.mark.django_db
def test_unknown_ledgers_and_accounts_are_404(client, dollars):
    assert client.get(reverse("ledger:detail", args=[9])).status_code == 404
    assert client.get(reverse("ledger:account", args=["999"])).status_code == 404
    assert client.get(reverse("ledger:account", args=["no-such"])).status_code == 404


@pytest.mark.django_db
def test_the_open_data_datasets_publish_totals_and_the_journal(client, dollars):
    totals = client.get("/open-data/ledger-totals.json").json()
    journal = client.get("/open-data/ledger-journal.json").json()

    assert totals["rows"][0]["debits_posted"] == 14690
    assert totals["rows"][0]["credits_posted"] == 14690
    assert [r["id"] for r in journal["rows"]] == ["1000", "1"]
    assert journal["rows"][1]["prev_hash"] == journal["rows"][0]["hash"]
