"""The money identity under random sequences of issue, service, confirm, dispute, auto-confirm,
expire and settle (paid or rejected by the bank): per category, issued = redeemed + expired +
outstanding, read from the ledger and from this app's records alike; the settlement account
holds exactly what the bank paid; and no wallet ever goes below zero."""

import contextlib
import itertools
import os
from datetime import date, timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minga.ledger import selectors as ledger
from minga.socialincome import models, selectors, services

from .conftest import ALLOTMENTS, BANDS, CATEGORIES, NOW, START, cedula, registry_csv

pytestmark = pytest.mark.django_db

_slugs = itertools.count()

operation = st.one_of(
    st.tuples(st.just("issue"), st.integers(0, 2)),
    st.tuples(
        st.just("service"),
        st.integers(1, 4),  # cédula serial
        st.sampled_from(["eldercare", "childcare", "homecare"]),
        st.integers(1, 40),  # quarter hours
        st.integers(1, 28),  # day of February
    ),
    st.tuples(st.just("confirm"), st.integers(0, 9)),
    st.tuples(st.just("dispute"), st.integers(0, 9)),
    st.tuples(st.just("autoconfirm"), st.integers(0, 10)),
    st.tuples(st.just("expire"), st.integers(0, 5)),
    st.tuples(st.just("settle"), st.booleans()),
)


def check(programme):
    for category in selectors.categories_of(programme=programme):
        from_ledger = selectors.identity(category=category)
        assert from_ledger.holds, from_ledger
        assert selectors.recorded_totals(category=category) == from_ledger
        settled = ledger.account_get(account_id=int(category.settlement_account_id))
        paid = models.Settlement.objects.filter(
            accreditation__category=category, status="paid"
        ).aggregate(total=Sum("amount"))["total"]
        assert settled is not None
        assert settled.credits_posted == (paid or 0)
    for household in selectors.households_of(programme=programme):
        for line in selectors.wallet_lines(household=household, on=NOW.date()):
            assert line.available >= 0


@settings(
    # MINGA_SOCIALINCOME_EXAMPLES=500 for a deeper run; kept small so the suite stays fast.
    max_examples=int(os.environ.get("MINGA_SOCIALINCOME_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=14))
def test_issued_equals_redeemed_plus_expired_plus_outstanding_at_every_step(world, ops):
    programme = services.programme_create(
        actor=world.official,
        slug=f"identidad-{next(_slugs)}",
        name="Identidad",
        territory=world.canton,
        unit="hours",
        start_date=START,
        categories=CATEGORIES,
        bands=BANDS,
        allotments=ALLOTMENTS,
        now=NOW,
    )
    services.registry_import(
        actor=world.official, programme=programme, data=registry_csv(), now=NOW
    )
    cats = {c.code: c for c in selectors.categories_of(programme=programme)}
    for code in ("eldercare", "childcare", "homecare"):
        services.accreditation_create(
            actor=world.official,
            programme=programme,
            organization=world.cooperative,
            category=cats[code],
            hourly_rate=100,
            valid_from=START,
            bank_account="2200123456",
            now=NOW,
        )
    for op in ops:
        pending = list(
            models.Service.objects.filter(
                wallet__household__programme=programme, status="pending"
            ).order_by("pk")
        )
        kind = op[0]
        if kind == "issue":
            services.month_issue(
                actor="test", programme=programme, period=date(2026, 1 + op[1], 1), now=NOW
            )
        elif kind == "service":
            _kind, serial, code, quarters, day = op
            with contextlib.suppress(services.Overdraft, services.DuplicateService):
                services.service_record(
                    actor=world.delegate,
                    programme=programme,
                    organization=world.cooperative,
                    category_code=code,
                    cedula=cedula(serial),
                    service_date=date(2026, 2, day),
                    hours=str(quarters / 4),
                    now=NOW,
                )
        elif kind in ("confirm", "dispute") and pending:
            service = selectors.service_by_id(service_id=pending[op[1] % len(pending)].pk)
            if kind == "confirm":
                services.service_confirm(actor="test", service=service, now=NOW)
            else:
                services.service_dispute(actor="test", service=service, now=NOW)
        elif kind == "autoconfirm":
            services.services_autoconfirm(programme=programme, now=NOW + timedelta(days=op[1]))
        elif kind == "settle":
            batch = services.settlement_create(
                actor="test", programme=programme, until=NOW.date(), now=NOW
            )
            status = "ACSC" if op[1] else "RJCT"
            answer = "id,status\n" + "".join(
                f"{i.end_to_end_id},{status}\n" for i in batch.items.filter(status="pending")
            )
            services.settlement_results_import(actor="test", data=answer.encode(), now=NOW)
        elif kind == "expire":
            services.credits_expire(
                actor="test", programme=programme, as_of=date(2026, 3 + op[1], 1), now=NOW
            )
        check(programme)
