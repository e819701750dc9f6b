# The audit trail's model now lives in the kernel (core 0001); its table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0002_blank_audited_secrets"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
            database_operations=[],
        ),
    ]
