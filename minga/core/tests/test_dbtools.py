"""Ids compared whole carry no LIKE pattern index (minga.core.dbtools, applied by migrations)."""

import pytest
from django.db import connection

TABLES = (
    "core_auditevent",
    "ledger_account",
    "ledger_transfer",
    "ledger_pendingtransfer",
    "socialincome_wallet",
    "socialincome_issuance",
)


@pytest.mark.django_db
def test_ids_compared_whole_have_no_pattern_index_while_slugs_keep_theirs():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tablename, indexname FROM pg_indexes WHERE indexname LIKE %s", ["%_like"]
            )
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'")
        indexes = cursor.fetchall()
    like = {(table, name) for table, name in indexes if name.endswith("_like")}

    assert not [name for table, name in like if table in TABLES]
    if connection.vendor == "postgresql":
        # Other text columns keep the pattern index Django gives them.
        assert any(table == "socialincome_programme" for table, _name in like)
