"""Transfers (the journal) are immutable and accounts are never deleted, in the database itself:
on SQLite and on PostgreSQL, UPDATE or DELETE of a transfer, DELETE of an account, and UPDATE of
an account's identity columns raise. Corrections are made only by new transfers. PostgreSQL
reuses minga_append_only() from core.0002_audit_append_only."""

from django.db import migrations

IDENTITY = "id, ledger, code, user_data_128, user_data_64, user_data_32, timestamp"

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS ledger_transfer_no_update BEFORE UPDATE ON ledger_transfer
       BEGIN SELECT RAISE(ABORT, 'ledger_transfer rows are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_transfer_no_delete BEFORE DELETE ON ledger_transfer
       BEGIN SELECT RAISE(ABORT, 'ledger_transfer rows are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_account_no_delete BEFORE DELETE ON ledger_account
       BEGIN SELECT RAISE(ABORT, 'ledger_account rows are never deleted'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS ledger_account_identity BEFORE UPDATE OF {IDENTITY}
       ON ledger_account
       BEGIN SELECT RAISE(ABORT, 'ledger_account identity columns never change'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_transfer_no_update",
    "DROP TRIGGER IF EXISTS ledger_transfer_no_delete",
    "DROP TRIGGER IF EXISTS ledger_account_no_delete",
    "DROP TRIGGER IF EXISTS ledger_account_identity",
]
POSTGRES = [
    # Balances are updated in place: room on each page lets PostgreSQL do heap-only updates
    # (no index writes), which is most of the cost of a batch's one balance UPDATE.
    "ALTER TABLE ledger_account SET (fillfactor = 70)",
    """CREATE TRIGGER ledger_transfer_append_only BEFORE UPDATE OR DELETE ON ledger_transfer
       FOR EACH ROW EXECUTE FUNCTION minga_append_only()""",
    """CREATE TRIGGER ledger_account_no_delete BEFORE DELETE ON ledger_account
       FOR EACH ROW EXECUTE FUNCTION minga_append_only()""",
    f"""CREATE TRIGGER ledger_account_identity BEFORE UPDATE OF {IDENTITY} ON ledger_account
       FOR EACH ROW EXECUTE FUNCTION minga_append_only()""",
]
POSTGRES_REVERSE = [
    "ALTER TABLE ledger_account RESET (fillfactor)",
    "DROP TRIGGER IF EXISTS ledger_transfer_append_only ON ledger_transfer",
    "DROP TRIGGER IF EXISTS ledger_account_no_delete ON ledger_account",
    "DROP TRIGGER IF EXISTS ledger_account_identity ON ledger_account",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    statements = (
        POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    )
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
