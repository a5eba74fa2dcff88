"""minga_ledger_append() runs for every small batch, mostly a single transfer. Its statements
take their values as parameters, and PostgreSQL plans such a statement afresh for each call
until it judges a generic plan no worse; for these statements (a few rows by primary key, an
INSERT of one row) it never does, so each call planned them again. Their generic plans are the
plans they always get, so the function asks for those: PostgreSQL's backend spent about 5 %
less CPU time per single transfer (bench/ledger.py's clients, docs/ledger.md)."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER FUNCTION minga_ledger_append SET plan_cache_mode = force_generic_plan"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER FUNCTION minga_ledger_append RESET plan_cache_mode")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_account_fillfactor")]

    operations = [migrations.RunPython(forward, backward)]
