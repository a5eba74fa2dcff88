"""Database housekeeping shared by migrations.

Django gives every indexed text column on PostgreSQL a second, `varchar_pattern_ops` index (named
`<table>_<column>_<hash>_like`) so that LIKE 'prefix%' can use an index. Identifiers that are
only ever compared whole (ledger ids, hashes) never need it, and every insert pays for it: on
the ledger's single-transfer path it is about a tenth of the database's work."""

from typing import Any


def drop_like_indexes(schema_editor: Any, columns: dict[str, tuple[str, ...]]) -> None:
    """Drops the LIKE indexes of these {table: columns} (PostgreSQL; nothing elsewhere)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, names in columns.items():
            for column in names:
                cursor.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s",
                    [table, f"{table}_{column}_%_like"],
                )
                for (index,) in cursor.fetchall():
                    schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')
