"""Ledger ids are compared whole, never with LIKE: no pattern indexes (minga.core.dbtools)."""

from django.db import migrations

from minga.core.dbtools import drop_like_indexes


def forward(apps, schema_editor):
    drop_like_indexes(
        schema_editor,
        {
            "ledger_account": ("id",),
            "ledger_transfer": ("id",),
            "ledger_pendingtransfer": ("transfer_id",),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_append_function")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
