"""Settlement: redeemed credits leave the providers' accounts by pending ledger transfers, the
payment files (CSV, ISO 20022 pain.001.001.03 valid against the official XSD) total what the
ledger holds, and the bank's answer posts or voids each payment."""

from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import sepaxml
import xmlschema
from django.core.management import CommandError, call_command

from minga.ledger import selectors as ledger
from minga.socialincome import models, selectors, services
from minga.socialincome.payments import write_csv, write_pain_001_001_03

from .conftest import NOW, World, cedula

pytestmark = pytest.mark.django_db

UNTIL = date(2026, 3, 2)


def pain_schema() -> Any:
    """The official pain.001.001.03 XSD, as shipped by the sepaxml package (dev dependency)."""
    return xmlschema.XMLSchema(
        str(Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd")
    )


@pytest.fixture
def redeemed(world: World) -> World:
    for a in models.Accreditation.objects.all():
        a.bank_account = "2200123456"
        a.bank_bic = "PICHECEQXXX"
        a.save(update_fields=["bank_account", "bank_bic"])
    services.month_issue(actor="t", programme=world.programme, period=date(2026, 1, 1), now=NOW)
    for serial, code, hours in (
        (1, "eldercare", "2"),
        (2, "childcare", "1.5"),
        (1, "homecare", "1"),
    ):
        recorded = services.service_record(
            actor=world.delegate,
            programme=world.programme,
            organization=world.cooperative,
            category_code=code,
            cedula=cedula(serial),
            service_date=date(2026, 2, 10),
            hours=hours,
            now=NOW,
        )
        services.service_confirm(actor="t", service=recorded.service, now=NOW)
    return world


def provider_available(code: str) -> int:
    a = models.Accreditation.objects.get(category__code=code)
    state = ledger.account_get(account_id=int(a.account_id))
    assert state is not None
    return state.credits_posted - state.debits_posted - state.debits_pending


def test_a_settlement_reserves_each_providers_redeemed_credits_and_totals_the_ledger(redeemed):
    batch = services.settlement_create(
        actor="t", programme=redeemed.programme, until=UNTIL, now=NOW
    )

    items = {i.accreditation.category.code: i.amount for i in batch.items.all()}
    assert items == {"eldercare": 200, "childcare": 150, "homecare": 100}
    assert provider_available("eldercare") == 0
    payment = selectors.payment_batch(batch=batch)
    assert payment.total_minor == 450
    assert {p.end_to_end_id for p in payment.payments} == {
        str(int(i.transfer_id)) for i in batch.items.all()
    }
    assert all(len(p.end_to_end_id) <= 35 for p in payment.payments)


def test_the_pain_001_file_validates_against_the_official_xsd(redeemed):
    schema = pain_schema()
    batch = services.settlement_create(
        actor="t", programme=redeemed.programme, until=UNTIL, now=NOW
    )

    xml = write_pain_001_001_03(selectors.payment_batch(batch=batch))

    schema.validate(xml.decode())
    text = xml.decode()
    assert "<CtrlSum>4.50</CtrlSum>" in text
    assert text.count("<EndToEndId>") == 3


def test_settling_twice_settles_nothing_more(redeemed):
    first = services.settlement_create(
        actor="t", programme=redeemed.programme, until=UNTIL, now=NOW
    )
    journal = ledger.ledger_head().transfers_count

    again = services.settlement_create(
        actor="t", programme=redeemed.programme, until=UNTIL, now=NOW
    )

    assert again.pk == first.pk
    assert again.items.count() == 3
    assert ledger.ledger_head().transfers_count == journal


def test_a_settlement_interrupted_by_a_crash_completes_from_what_the_ledger_holds(
    redeemed, monkeypatch
):
    real = models.Settlement.objects.create

    def crash(**kwargs: Any) -> Any:
        raise SystemExit("crash")

    monkeypatch.setattr(models.Settlement.objects, "create", crash)
    with pytest.raises(SystemExit):
        services.settlement_create(actor="t", programme=redeemed.programme, until=UNTIL, now=NOW)
    monkeypatch.setattr(models.Settlement.objects, "create", real)
    journal = ledger.ledger_head().transfers_count

    batch = services.settlement_create(
        actor="t", programme=redeemed.programme, until=UNTIL, now=NOW
    )

    assert ledger.ledger_head().transfers_count == journal
    assert sum(i.amount for i in batch.items.all()) == 450


def test_the_banks_answer_posts_paid_and_voids_rejected_payments_once(redeemed):
    batch = services.settlement_create(
        actor="t", programme=redeemed.programme, until=UNTIL, now=NOW
    )
    paid, rejected = (
        batch.items.get(accreditation__category__code="eldercare"),
        batch.items.get(accreditation__category__code="homecare"),
    )
    answer = f"id,status\n{int(paid.transfer_id)},ACSC\n{int(rejected.transfer_id)},RJCT\n"

    counts = services.settlement_results_import(actor="t", data=answer.encode(), now=NOW)
    again = services.settlement_results_import(actor="t", data=answer.encode(), now=NOW)

    assert counts == {"paid": 1, "rejected": 1, "unchanged": 0}
    assert again == {"paid": 0, "rejected": 0, "unchanged": 2}
    assert provider_available("homecare") == 100  # rejected: back to the provider
    assert provider_available("eldercare") == 0
    assert models.Service.objects.filter(settlement__isnull=True, status="confirmed").count() == 1
    for category in models.Category.objects.all():
        assert selectors.identity(category=category).holds


def test_a_bad_bank_answer_is_refused_whole_with_line_numbers(redeemed):
    batch = services.settlement_create(
        actor="t", programme=redeemed.programme, until=UNTIL, now=NOW
    )
    good = int(batch.items.first().transfer_id)
    # "²" passes str.isdigit() but not int(): it must be a line error, not a crash.
    answer = f"id,status\n{good},ACSC\n123,ACSC\n{good},maybe\n²,ACSC\n"
    journal = ledger.ledger_head().transfers_count

    with pytest.raises(services.SettlementResultRefused) as info:
        services.settlement_results_import(actor="t", data=answer.encode(), now=NOW)

    assert info.value.message == (
        "línea 3, id: no corresponde a ningún pago; línea 4, id: repetido; "
        "línea 5, id: no es un identificador de pago"
    )
    assert ledger.ledger_head().transfers_count == journal
    assert set(batch.items.values_list("status", flat=True)) == {"pending"}


def test_a_provider_without_a_bank_account_is_refused_before_anything(redeemed):
    models.Accreditation.objects.filter(category__code="homecare").update(bank_account="")
    journal = ledger.ledger_head().transfers_count

    with pytest.raises(services.MissingBankAccount) as info:
        services.settlement_create(actor="t", programme=redeemed.programme, until=UNTIL, now=NOW)

    assert info.value.message == "Falta la cuenta bancaria de Cooperativa de Cuidados Sumak Kawsay."
    assert ledger.ledger_head().transfers_count == journal
    assert models.SettlementBatch.objects.count() == 0


def test_the_csv_file_lists_each_payment(redeemed):
    batch = services.settlement_create(
        actor="t", programme=redeemed.programme, until=UNTIL, now=NOW
    )

    lines = write_csv(selectors.payment_batch(batch=batch)).decode().splitlines()

    assert lines[0] == "end_to_end_id,creditor,account,bic,amount,currency,remittance"
    assert sorted(line.split(",")[4] for line in lines[1:]) == ["1.00", "1.50", "2.00"]


def test_settle_and_settle_result_commands(redeemed, tmp_path):
    out = StringIO()

    call_command(
        "socialincome",
        "settle",
        "--programme",
        "cotacachi-cuidados",
        "--until",
        "2026-03-02",
        "--out",
        str(tmp_path),
        stdout=out,
    )

    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [
        "settlement-cotacachi-cuidados-2026-03-02-csv.csv",
        "settlement-cotacachi-cuidados-2026-03-02-pain.001.001.03.xml",
    ]
    assert out.getvalue().endswith("3 payments, total 450 USD minor units\n")
    ids = [line.split(",")[0] for line in (tmp_path / files[0]).read_text().splitlines()[1:]]
    answer = tmp_path / "answer.csv"
    answer.write_text("id,status\n" + "".join(f"{i},paid\n" for i in ids))
    result = StringIO()
    call_command("socialincome", "settle-result", str(answer), stdout=result)
    assert result.getvalue() == "paid 3, rejected 0, unchanged 0\n"
    with pytest.raises(CommandError) as info:
        call_command(
            "socialincome",
            "settle",
            "--programme",
            "cotacachi-cuidados",
            "--until",
            "2026-03-02",
            "--format",
            "mt101",
            "--out",
            str(tmp_path),
        )
    assert str(info.value) == "--format: unknown 'mt101' (known: csv, pain.001.001.03)"


def test_a_future_cut_off_date_is_refused(redeemed):
    with pytest.raises(services.InvalidInput) as info:
        services.settlement_create(
            actor="t", programme=redeemed.programme, until=NOW.date() + timedelta(days=1), now=NOW
        )

    assert (info.value.message, info.value.field) == (
        "La fecha de corte no puede ser futura.",
        "until",
    )
