"""The audit event's hash is compared whole, never with LIKE: no pattern index (dbtools)."""

from django.db import migrations

from minga.core.dbtools import drop_like_indexes


def forward(apps, schema_editor):
    drop_like_indexes(schema_editor, {"core_auditevent": ("hash",)})


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_append_function")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
