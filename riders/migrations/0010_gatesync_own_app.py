# Gate sync's four models move to the gatesync app (gatesync migration 0001). Only
# Django's model state changes here: the tables stay as they are, with their names and
# data, and gatesync's models name them with db_table.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('riders', '0009_poster_print'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='AccessChange'),
                migrations.DeleteModel(name='AccessListEntry'),
                migrations.DeleteModel(name='AccessListHead'),
                migrations.DeleteModel(name='ControllerSync'),
            ],
            database_operations=[],
        ),
    ]
