"""The append-only tables written a million rows at a time (see minga.core.fields)."""

import pytest
from django.db import connection


@pytest.mark.django_db
@pytest.mark.parametrize(
    "table", ["socialincome_wallet", "socialincome_issuance", "socialincome_expiry"]
)
def test_the_append_only_tables_have_keys_without_autoincrement(table):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [table])
            (sql,) = cursor.fetchone()
            assert '"id" integer NOT NULL PRIMARY KEY' in sql
            assert "AUTOINCREMENT" not in sql
        else:
            cursor.execute(
                "SELECT is_identity FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = 'id'",
                [table],
            )
            assert cursor.fetchone() == ("YES",)
