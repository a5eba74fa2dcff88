from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.db import connection

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# A small country in the DPA shape: header, 2 provinces, 2 cantons, 3 parishes.
SMALL_CSV = (
    "level,code,name,parent_code,note_or_type\n"
    "provincia,10,IMBABURA,,\n"
    "canton,1003,COTACACHI,10,\n"
    "parroquia,100350,COTACACHI,1003,cabecera_cantonal\n"
    "parroquia,100351,APUELA,1003,rural\n"
    "provincia,03,CAÑAR,,\n"
    "canton,0301,AZOGUES,03,\n"
    "parroquia,030150,AZOGUES,0301,cabecera_cantonal\n"
)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def small_country(db):
    from minga.territories.services import territories_import

    return territories_import(country_code="EC", data=SMALL_CSV.encode(), actor="test", now=NOW)


@pytest.fixture
def demo(db):
    from minga.territories.demo import load

    load(now=NOW)


_CORE_TRIGGERS = import_module("minga.core.migrations.0002_audit_append_only")


@pytest.fixture
def audit_cleanup(transactional_db) -> Iterator[None]:
    """The audit log is append-only (triggers). After a transactional test, SQLite's flush
    deletes row by row, which the triggers refuse (PostgreSQL truncates, which they do not
    see); so the audit rows are removed here with the triggers lifted for that moment only."""
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in _CORE_TRIGGERS.SQLITE_REVERSE:
            cursor.execute(sql)
        try:
            cursor.execute("DELETE FROM core_auditevent")
            cursor.execute("DELETE FROM core_auditchainhead")
        finally:
            for sql in _CORE_TRIGGERS.SQLITE:
                cursor.execute(sql)
