"""Model fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import models


class RowIdAutoField(models.BigAutoField):
    """A BigAutoField without SQLite's AUTOINCREMENT, for append-only tables written a million
    rows at a time (wallets, issuances, expiries). AUTOINCREMENT only forbids reusing the id of
    a deleted last row, and makes every insert read and write the sqlite_sequence table: about
    half the cost of a bulk insert into such a table. Rows of these tables are never deleted,
    so the ids are the same. Elsewhere, exactly a BigAutoField."""

    def db_type_suffix(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return None
        suffix: str | None = super().db_type_suffix(connection)
        return suffix
