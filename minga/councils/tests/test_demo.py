from importlib import import_module

import pytest

from minga.councils import selectors
from minga.councils.demo import COUNCIL_NAME, load
from minga.councils.models import ElectionStatus

from .conftest import NOW
from .helpers import snapshot

pytestmark = pytest.mark.django_db


def test_the_demo_builds_cotacachis_council_with_a_counted_election_and_is_idempotent():
    for app in ("territories", "actors"):
        import_module(f"minga.{app}.demo").load(now=NOW)

    assert load(now=NOW) == []
    first = snapshot()
    assert load(now=NOW) == []

    assert snapshot() == first
    [council] = selectors.councils_list()
    assert council.name == COUNCIL_NAME
    term = selectors.term_last(council=council)
    composition = selectors.composition(term=term)
    assert composition.vacancies == 0
    assert composition.chair.side == "government"
    election = selectors.election_of_term(term=term)
    assert election.status == ElectionStatus.COUNTED
    assert selectors.ballots_cast(election=election) >= 7
    [meeting] = selectors.meetings_of(council=council)
    assert selectors.meeting_quorum(meeting=meeting).reached is True
    [decision] = selectors.decisions_of(council=council)
    assert decision.territory.code == "100351"
