"""Process-level helpers for long runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses Python's cycle collector for a run that makes millions of small objects without
    cycles (rows, ids, tuples): reference counting frees them, and the collector would only
    walk them again and again (about a tenth of a million-household issuance). Restores the
    collector as it was, also when the run raises. Usable as a decorator."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
