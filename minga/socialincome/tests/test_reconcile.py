"""Recovery: a crash between a service's pending ledger transfer and its Service record leaves
the household's credits reserved with nothing to confirm or dispute; `reconcile` voids such
reservations, once."""

import uuid
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from minga.core.models import AuditEvent
from minga.ledger import services as ledger
from minga.ledger.domain import TransferEvent, TransferFlags
from minga.socialincome import models, selectors, services
from minga.socialincome.domain import TRANSFER_SERVICE, derived_id

from .conftest import NOW, World, categories, cedula
from .test_services import balances, identities_hold

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def issued(world: World) -> World:
    services.month_issue(
        actor=world.official, programme=world.programme, period=date(2026, 1, 1), now=NOW
    )
    return world


def orphan(world: World, *, amount: int = 300, household: str = "H1") -> int:
    """What a crash right after service_record's ledger batch leaves: a pending service transfer
    from the household's wallet to the provider, and no Service row."""
    wallet = models.Wallet.objects.get(household__registry_id=household, category__code="eldercare")
    accreditation = models.Accreditation.objects.get(category__code="eldercare")
    transfer_id = uuid.uuid4().int
    [result] = ledger.transfers_create(
        events=[
            TransferEvent(
                id=transfer_id,
                debit_account_id=int(wallet.account_id),
                credit_account_id=int(accreditation.account_id),
                amount=amount,
                ledger=categories(world.programme)["eldercare"].ledger,
                code=TRANSFER_SERVICE,
                flags=int(TransferFlags.PENDING),
                user_data_128=derived_id(
                    "service", accreditation.pk, wallet.pk, date(2026, 2, 10), amount
                ),
            )
        ],
        actor="socialincome",
        now=NOW,
    )
    assert result == "ok"
    return transfer_id


def record(world: World, hours: str = "1") -> services.Recorded:
    return services.service_record(
        actor=world.delegate,
        programme=world.programme,
        organization=world.cooperative,
        category_code="eldercare",
        cedula=cedula(1),
        service_date=date(2026, 2, 11),
        hours=hours,
        now=NOW,
    )


def test_an_orphan_reservation_is_voided_and_the_credits_come_back(issued):
    lost = orphan(issued)
    kept = record(issued)
    assert balances(issued)[("H1", "eldercare")] == 3000 - 300 - 100

    report = services.service_reservations_reconcile(
        actor="cli", programme=issued.programme, now=LATER
    )

    assert [o.transfer_id for o in report.voided] == [lost]
    assert report.amount == 300
    assert balances(issued)[("H1", "eldercare")] == 3000 - 100
    assert models.Service.objects.get().status == "pending"
    services.service_confirm(actor=issued.resident, service=kept.service, now=LATER)
    identities_hold(issued)
    event = AuditEvent.objects.filter(action="socialincome.service_reservations_reconcile").get()
    assert event.after["amount"] == 300


def test_reconciling_again_voids_nothing_more(issued):
    orphan(issued)
    services.service_reservations_reconcile(actor="cli", programme=issued.programme, now=LATER)
    audit = AuditEvent.objects.count()

    again = services.service_reservations_reconcile(
        actor="cli", programme=issued.programme, now=LATER
    )

    assert again.voided == []
    assert AuditEvent.objects.count() == audit
    assert balances(issued)[("H1", "eldercare")] == 3000


def test_a_reservation_younger_than_the_grace_is_left_to_its_request(issued):
    orphan(issued)

    report = services.service_reservations_reconcile(
        actor="cli", programme=issued.programme, now=NOW + timedelta(minutes=5)
    )

    assert report.voided == []
    assert balances(issued)[("H1", "eldercare")] == 2700


def test_recorded_services_of_any_status_are_never_orphans(issued):
    first = record(issued, "1")
    second = record(issued, "2")
    services.service_dispute(actor=issued.resident, service=first.service, now=NOW)

    orphans = selectors.orphan_service_reservations(programme=issued.programme, before=LATER)

    assert orphans == []
    assert second.service.status == "pending"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("socialincome", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_reconcile_command_voids_orphans_with_a_progress_bar_and_is_idempotent(issued):
    lost = orphan(issued, amount=250)
    wallet = models.Wallet.objects.get(household__registry_id="H1", category__code="eldercare")

    out, err = run("reconcile", "--programme", "cotacachi-cuidados")
    again, _err = run("reconcile", "--programme", "cotacachi-cuidados")

    assert out == (
        f"voided {lost}: wallet {wallet.account_id} (eldercare), amount 250\n"
        "voided 1 orphan reservations, amount 250\n"
    )
    assert err.endswith("[##############################] 6/6\n")
    assert again == "voided 0 orphan reservations, amount 0\n"
    assert balances(issued)[("H1", "eldercare")] == 3000


def test_the_reconcile_command_names_an_unknown_programme(world):
    with pytest.raises(CommandError) as info:
        run("reconcile", "--programme", "nada")

    assert str(info.value) == "--programme: no programme 'nada'"


def test_a_programme_without_wallets_has_nothing_to_reconcile(world):
    out, _err = run("reconcile", "--programme", "cotacachi-cuidados")

    assert out == "voided 0 orphan reservations, amount 0\n"
