import threading

import pytest
from django.db import connection, connections

from minga.core.runtime import BackgroundWrites

POSTGRES = connection.vendor == "postgresql"


def job(log: list[tuple[int, str]], n: int, fail: bool = False):
    def run() -> None:
        log.append((n, threading.current_thread().name))
        if fail:
            raise ValueError(f"job {n} failed")

    return run


@pytest.mark.django_db
def test_inside_a_transaction_jobs_run_at_once_in_the_callers_thread():
    log: list[tuple[int, str]] = []
    with BackgroundWrites() as writes:
        assert not writes.enabled  # the test's transaction is open
        writes.submit(job(log, 1))
        assert log == [(1, "MainThread")]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_jobs_run_in_order_beside_the_caller_on_postgresql():
    log: list[tuple[int, str]] = []
    with BackgroundWrites(ahead=2) as writes:
        assert writes.enabled == POSTGRES
        for n in range(6):
            writes.submit(job(log, n))
    assert [n for n, _ in log] == list(range(6))
    names = {name.split("_")[0] for _, name in log}
    assert names == ({"minga-write"} if POSTGRES else {"MainThread"})


@pytest.mark.django_db(transaction=True)
def test_the_first_failure_stops_the_run_and_is_raised():
    log: list[tuple[int, str]] = []
    with pytest.raises(ValueError, match="job 1 failed"), BackgroundWrites(ahead=1) as writes:
        for n in range(5):
            writes.submit(job(log, n, fail=n == 1))
    # With one job waiting at most, the failure is heard before a third job starts.
    assert [n for n, _ in log][:2] == [0, 1]
    assert len(log) <= 3


@pytest.mark.django_db(transaction=True)
def test_the_callers_error_wins_and_the_jobs_finish_first():
    log: list[tuple[int, str]] = []
    with pytest.raises(KeyError), BackgroundWrites() as writes:
        writes.submit(job(log, 1))
        raise KeyError("caller")
    assert log and log[0][0] == 1


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_on_a_connection_of_its_own_outside_any_transaction():
    main = connections["default"]
    seen: list[tuple[bool, bool]] = []

    def probe() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        seen.append((connections["default"] is main, connection.in_atomic_block))

    with BackgroundWrites() as writes:
        writes.submit(probe)
    assert seen == [(not POSTGRES, False)]
