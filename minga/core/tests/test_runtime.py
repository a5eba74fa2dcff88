import gc

import pytest

from minga.core.runtime import collector_paused


def test_the_collector_is_paused_inside_and_restored_after_even_on_error():
    assert gc.isenabled()

    @collector_paused()
    def run(fail: bool) -> bool:
        if fail:
            raise ValueError("boom")
        return gc.isenabled()

    assert run(False) is False
    assert gc.isenabled()
    with pytest.raises(ValueError, match="boom"):
        run(True)
    assert gc.isenabled()


def test_a_collector_already_paused_stays_paused():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
