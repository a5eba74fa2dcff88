"""minga_audit_append() runs once per audited batch of the ledger's small-batch path, that is
once per single transfer. As for minga_ledger_append() (ledger migration 0007), its statements
(the head by primary key, an INSERT of one row) get the generic plans they would always get,
instead of being planned again at every call."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER FUNCTION minga_audit_append SET plan_cache_mode = force_generic_plan"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER FUNCTION minga_audit_append RESET plan_cache_mode")


class Migration(migrations.Migration):
    dependencies = [("core", "0004_drop_like_index_of_hash")]

    operations = [migrations.RunPython(forward, backward)]
