"""Fixtures of the ledger tests: API tokens made with the accounts services, and cleanup after
transactional tests on SQLite.

Transfers, accounts and audit events are append-only in the database (triggers); SQLite's test
flush deletes row by row, which they refuse. The root conftest lifts the triggers of every table
that has one and empties those tables, but ledger_pendingtransfer (no trigger) still refers to
ledger_transfer, so that DELETE fails on the foreign key. Here the ledger's tables are emptied
first, children before parents, with the triggers lifted for that moment only."""

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
from django.db import connection

from minga.ledger.tests.factories import T0

_LEDGER_TRIGGERS = import_module("minga.ledger.migrations.0002_append_only")


@pytest.fixture
def ledger_transactional(transactional_db: Any) -> Iterator[None]:
    """For transactional ledger tests: runs its teardown before the root conftest's."""
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in _LEDGER_TRIGGERS.SQLITE_REVERSE:
            cursor.execute(sql)
        try:
            for table in (
                "ledger_pendingtransfer",
                "ledger_transfer",
                "ledger_account",
                "ledger_ledgerhead",
                "ledger_ledger",
            ):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        finally:
            for sql in _LEDGER_TRIGGERS.SQLITE:
                cursor.execute(sql)


@pytest.fixture
def operator_token(db: Any) -> str:
    from minga.accounts.services import role_assign, token_create, user_create
    from minga.core.roles import Role

    user = user_create(actor=None, username="cajero", password="una-clave-larga-42", now=T0)
    role_assign(actor=None, user=user, role=Role.OPERATOR, active_from=T0, now=T0)
    return token_create(actor=None, user=user, role=Role.OPERATOR, now=T0).clear


@pytest.fixture
def resident_token(db: Any) -> str:
    from minga.accounts.services import role_assign, token_create, user_create
    from minga.core.roles import Role

    user = user_create(actor=None, username="vecina", password="una-clave-larga-42", now=T0)
    role_assign(actor=None, user=user, role=Role.RESIDENT, active_from=T0, now=T0)
    return token_create(actor=None, user=user, role=Role.RESIDENT, now=T0).clear
