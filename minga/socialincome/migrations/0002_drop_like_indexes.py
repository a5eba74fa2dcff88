"""Ledger account and transfer ids are compared whole, never with LIKE: no pattern indexes
(minga.core.dbtools)."""

from django.db import migrations

from minga.core.dbtools import drop_like_indexes


def forward(apps, schema_editor):
    drop_like_indexes(
        schema_editor,
        {
            "socialincome_wallet": ("account_id",),
            "socialincome_accreditation": ("account_id",),
            "socialincome_issuance": ("transfer_id",),
            "socialincome_expiry": ("transfer_id",),
            "socialincome_service": ("transfer_id",),
            "socialincome_settlement": ("transfer_id",),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("socialincome", "0001_initial")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
