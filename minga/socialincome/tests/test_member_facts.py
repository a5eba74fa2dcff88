"""member_facts reads the registry with one plain query: the rows hold real dates and booleans
on both databases, for the whole programme or one household."""

from datetime import date

from minga.socialincome import selectors
from minga.socialincome.domain import MemberFacts
from minga.socialincome.models import Household


def test_member_facts_are_dates_and_booleans_per_household(world):
    facts = selectors.member_facts(programme=world.programme)
    by_registry = {
        h.registry_id: facts[h.pk] for h in Household.objects.filter(programme=world.programme)
    }
    assert by_registry["H1"] == [MemberFacts(date(1950, 5, 1), 0, False)]
    assert sorted(by_registry["H2"]) == [
        MemberFacts(date(1990, 1, 1), 30_000, False),
        MemberFacts(date(2024, 6, 1), 0, False),
    ]
    [h3] = by_registry["H3"]
    assert type(h3.birth_date) is date and h3.disability is True


def test_member_facts_of_one_household_and_its_band(world):
    h2 = Household.objects.get(programme=world.programme, registry_id="H2")
    only = selectors.member_facts(programme=world.programme, household_id=h2.pk)
    assert list(only) == [h2.pk] and len(only[h2.pk]) == 2
    # 300.00 over two members: 150.00 per person, band 2 (minimum 100.00).
    assert selectors.household_band(household=h2, on=date(2026, 12, 1)) == 2
