import pytest

from minga.core.models import AuditEvent
from minga.ledger import demo, selectors
from minga.ledger.tests.factories import T0, at


@pytest.mark.django_db
def test_the_demo_loads_two_ledgers_that_verify_and_a_second_run_adds_nothing():
    assert demo.load(now=T0) == []
    head = selectors.ledger_head()
    events = AuditEvent.objects.count()

    demo.load(now=at(60))

    assert selectors.ledger_head().last_hash == head.last_hash
    assert AuditEvent.objects.count() == events
    assert [t.number for t in selectors.ledgers_totals()] == [840, 9001]
    hours = selectors.ledger_totals(number=9001)
    assert (hours.debits_posted, hours.transfers) == (70, 5)
    assert selectors.account_get(account_id=840_002).debits_posted == 145_000
    report = selectors.ledger_verify()
    assert report.ok, report.problem
    assert report.entries == 11
