"""The head records the earliest timeout still pending (LedgerHead.next_expiry), computed here
for a journal that already has pending transfers."""

from django.db import migrations, models

PENDING = 1


def fill(apps, schema_editor):
    head_model = apps.get_model("ledger", "LedgerHead")
    pending_model = apps.get_model("ledger", "PendingTransfer")
    earliest = (
        pending_model.objects.filter(status=PENDING, expires_at__isnull=False)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )
    head_model.objects.filter(id=1).update(next_expiry=earliest)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only")]

    operations = [
        migrations.AddField(
            model_name="ledgerhead",
            name="next_expiry",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
