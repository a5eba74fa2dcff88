"""Every transfer rewrites two account rows (their balances). On PostgreSQL an UPDATE writes a
new row version: on the same page, without touching any index (a HOT update), only if the page
has room; in a table filled to 100 % it goes to another page and adds an entry to every index.
Migration 0002 left pages 70 % full, which is room for the next version of fewer than half the
rows of a page: updating a million freshly made wallet accounts once each (a monthly issuance)
took 23.6 s at fillfactor 100, 19.0 s at 70 and 7.3 s at 50, every update then HOT (measured on
this project's 2-core machine, docs/socialincome.md). SQLite updates rows in place."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE ledger_account SET (fillfactor = 50)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE ledger_account SET (fillfactor = 70)")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_drop_like_indexes")]

    operations = [migrations.RunPython(forward, backward)]
