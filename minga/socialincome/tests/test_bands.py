"""band_finder answers as band_of does, for any minima (ties, bands whose minima are not in
band order, incomes below every minimum)."""

from hypothesis import given
from hypothesis import strategies as st

from minga.socialincome.domain import band_finder, band_of

minima_st = st.dictionaries(
    st.integers(min_value=1, max_value=8), st.integers(min_value=0, max_value=50), min_size=1
)


@given(minima_st, st.lists(st.integers(min_value=-5, max_value=60), max_size=20))
def test_band_finder_is_band_of(minima, incomes):
    band = band_finder(minima)
    for income in incomes:
        assert band(income) == band_of(income, minima)


def test_band_finder_on_the_demo_shape():
    band = band_finder({1: 0, 2: 25_000, 3: 50_000, 4: 100_000})
    assert [band(x) for x in (0, 24_999, 25_000, 99_999, 100_000, 10**9)] == [1, 1, 2, 3, 4, 4]
