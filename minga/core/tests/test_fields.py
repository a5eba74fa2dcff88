from django.db import connection, models

from minga.core.fields import RowIdAutoField


def test_rowid_auto_field_drops_only_sqlites_autoincrement():
    field, plain = RowIdAutoField(primary_key=True), models.BigAutoField(primary_key=True)

    assert field.db_type(connection) == plain.db_type(connection)
    if connection.vendor == "sqlite":
        assert plain.db_type_suffix(connection) == "AUTOINCREMENT"
        assert field.db_type_suffix(connection) is None
    else:
        assert field.db_type_suffix(connection) == plain.db_type_suffix(connection)
