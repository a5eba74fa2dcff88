"""band_finder (and band_of, which uses it) answer as the rule reads, for any minima: the
highest-numbered band whose minimum is met, else the lowest-numbered band (ties, bands whose
minima are not in band order, incomes below every minimum)."""

from hypothesis import given
from hypothesis import strategies as st

from minga.socialincome.domain import band_finder, band_of

minima_st = st.dictionaries(
    st.integers(min_value=1, max_value=8), st.integers(min_value=0, max_value=50), min_size=1
)


def reference_band(income: int, minima: dict[int, int]) -> int:
    """The rule, read literally: walk the bands in number order, keep the last one met."""
    chosen = min(minima)
    for number in sorted(minima):
        if minima[number] <= income:
            chosen = number
    return chosen


@given(minima_st, st.lists(st.integers(min_value=-5, max_value=60), max_size=20))
def test_band_finder_follows_the_rule(minima, incomes):
    band = band_finder(minima)
    for income in incomes:
        assert band(income) == reference_band(income, minima) == band_of(income, minima)


def test_band_finder_on_the_demo_shape():
    band = band_finder({1: 0, 2: 25_000, 3: 50_000, 4: 100_000})
    assert [band(x) for x in (0, 24_999, 25_000, 99_999, 100_000, 10**9)] == [1, 1, 2, 3, 4, 4]


def test_a_higher_numbered_band_with_a_lower_minimum_wins_when_both_are_met():
    # Band 3's minimum is below band 2's: above both, band 3 (the highest number met).
    band = band_finder({1: 0, 2: 40, 3: 20})
    assert [band(x) for x in (10, 20, 39, 40, 100)] == [1, 3, 3, 3, 3]
