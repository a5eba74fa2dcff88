"""Process-level helpers for long runs."""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from django.db import connection


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


class BackgroundWrites:
    """Runs write jobs, in the order given, on one thread with a database connection of its
    own, so that the database works on one batch while the caller computes the next: a
    million-household issuance spends about as long in PostgreSQL as in Python, and the two
    then overlap. Only on PostgreSQL and outside any transaction (another connection cannot see
    the rows of an open transaction; SQLite has one writer at a time); otherwise each job runs
    at once, in the caller's thread. At most `ahead` jobs wait at a time. The first job that
    fails stops the rest: `submit` and the end of the `with` block raise its error."""

    def __init__(self, *, ahead: int = 2) -> None:
        self.enabled = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.ahead = ahead
        self._pending: deque[Future[None]] = deque()
        self._executor: ThreadPoolExecutor | None = None

    def __enter__(self) -> BackgroundWrites:
        if self.enabled:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="minga-write")
        return self

    def submit(self, job: Callable[[], None]) -> None:
        if self._executor is None:
            job()
            return
        while self._pending and (self._pending[0].done() or len(self._pending) >= self.ahead):
            self._pending.popleft().result()  # raises the job's error
        self._pending.append(self._executor.submit(job))

    def __exit__(self, *exc: object) -> None:
        if self._executor is None:
            return
        try:
            while self._pending:
                future = self._pending.popleft()
                if exc[0] is None:
                    future.result()
                else:
                    future.exception()  # the caller's error wins; wait for the job all the same
        finally:
            # The thread's own connection, closed in that thread (`connection` is looked up
            # there: each thread has its own).
            self._executor.submit(lambda: connection.close()).result()
            self._executor.shutdown()
