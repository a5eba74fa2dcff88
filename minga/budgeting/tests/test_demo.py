"""The demo: a finished Cotacachi process whose published files recount to its results, and
an open one where the demo resident can vote. Loading twice adds nothing."""

import pytest
from django.utils import timezone

from minga.accounts.selectors import user_by_username
from minga.budgeting import demo
from minga.budgeting.models import Ballot, Process, Project, Result
from minga.budgeting.selectors import census_entry_of_user, process_phase
from minga.budgeting.tally import run_rule
from minga.voting import pabulib

from .helpers import make_territory, make_user

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_results_that_recount_and_opens_a_vote_for_the_resident():
    # What the territories and accounts demos provide (`minga demo` loads them first).
    imbabura = make_territory("10", "IMBABURA")
    cotacachi = make_territory("1003", "COTACACHI", imbabura)
    for code, name in [("100350", "COTACACHI"), ("100351", "APUELA"), ("100356", "QUIROGA")]:
        make_territory(code, name, cotacachi)
    make_user("admin", is_superuser=True, is_staff=True)
    make_user("residente")
    now = timezone.now()

    assert demo.load(now=now) == []
    counts = (Process.objects.count(), Project.objects.count(), Ballot.objects.count())
    assert demo.load(now=now) == []

    assert (Process.objects.count(), Project.objects.count(), Ballot.objects.count()) == counts
    done = Process.objects.get(slug="pp-cotacachi-2025")
    results = list(Result.objects.filter(budget__process=done))
    assert len(results) == 3
    for result in results:
        instance, profile = pabulib.parse_string(result.pb_file)
        selected, _ = run_rule(
            instance, profile, rule="mes", satisfaction="cost", completion="add1"
        )
        assert selected == result.selected
        assert result.voters == len(profile.ballots) > 0
    assert done.projects.filter(selected=True, updates__isnull=False).exists()
    open_process = Process.objects.get(slug="pp-cotacachi-2026")
    assert process_phase(open_process, at=now) == "voting"
    assert census_entry_of_user(open_process, user=user_by_username(username="residente"))
