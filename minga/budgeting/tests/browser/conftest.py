"""Browser tests use transactional databases, which Django empties after each test with DELETE
on SQLite; the audit log's append-only triggers refuse that. This fixture empties the audit log
itself first, with the triggers lifted for that moment only and put back at once (the same
fixture as minga/accounts/tests/browser/conftest.py; the integrator may move it to the root
conftest.py). PostgreSQL flushes with TRUNCATE, which row triggers do not see."""

from collections.abc import Iterator
from importlib import import_module

import pytest
from django.db import connection

_append_only = import_module("minga.core.migrations.0002_audit_append_only")


@pytest.fixture(autouse=True)
def _audit_log_emptied_after_test() -> Iterator[None]:
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in _append_only.SQLITE_REVERSE:
            cursor.execute(sql)
        cursor.execute("DELETE FROM core_auditevent")
        for sql in _append_only.SQLITE:
            cursor.execute(sql)
