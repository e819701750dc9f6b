from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0002_gate_entry_code_gatecodehistory"),
    ]

    operations = [
        # Controllers that exist already speak protocol 1; new ones speak 2.
        migrations.AddField(
            model_name="gatecontroller",
            name="protocol",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "1 (deprecated)"), (2, "2")],
                default=1,
                verbose_name="protocol version",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="gatecontroller",
            name="protocol",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "1 (deprecated)"), (2, "2")],
                default=2,
                verbose_name="protocol version",
            ),
        ),
    ]
