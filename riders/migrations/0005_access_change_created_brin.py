from django.db import migrations


def brin_create(apps, schema_editor):
    # The change log's retention deletes by age (riders.gatesync.outbox.changes_prune): a
    # BRIN index on this append-only table's created_at finds the old rows for a few kB.
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS access_change_created_brin ON riders_accesschange "
        "USING brin (created_at)"
    )


def brin_drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS access_change_created_brin")


class Migration(migrations.Migration):
    dependencies = [
        ("riders", "0004_event_indexes"),
    ]

    operations = [
        migrations.RunPython(brin_create, brin_drop),
    ]
