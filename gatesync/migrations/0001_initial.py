# Gate sync's models, taken over from the riders app (riders migration 0010) with their
# tables: state only, so an existing database keeps every row. The tables keep their
# riders_ names (db_table); their content types (and so any permission granted on them)
# move to this app.

import django.db.models.deletion
from django.db import migrations, models

MODELS = ('accesschange', 'accesslistentry', 'accesslisthead', 'controllersync')


def _content_types_move(apps, schema_editor, source, target):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not types.filter(app_label=target, model=model).exists():
            types.filter(app_label=source, model=model).update(app_label=target)


def content_types_forward(apps, schema_editor):
    _content_types_move(apps, schema_editor, 'riders', 'gatesync')


def content_types_back(apps, schema_editor):
    _content_types_move(apps, schema_editor, 'gatesync', 'riders')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('communities', '0004_site_map_missing_file_is_not_a_500'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('riders', '0010_gatesync_own_app'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AccessListHead',
                    fields=[
                        ('community', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='access_head', serialize=False, to='communities.community', verbose_name='community')),
                        ('version', models.BigIntegerField(default=0, verbose_name='version')),
                        ('epoch', models.PositiveIntegerField(db_default=1, default=1, verbose_name='epoch')),
                        ('policy', models.JSONField(blank=True, default=dict, verbose_name='policy')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                    ],
                    options={
                        'verbose_name': 'access list head',
                        'verbose_name_plural': 'access list heads',
                        'db_table': 'riders_accesslisthead',
                    },
                ),
                migrations.CreateModel(
                    name='ControllerSync',
                    fields=[
                        ('controller', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='sync', serialize=False, to='communities.gatecontroller', verbose_name='controller')),
                        ('version_held', models.BigIntegerField(blank=True, help_text='Empty: never synced.', null=True, verbose_name='version held')),
                        ('needs_snapshot', models.BooleanField(default=False, verbose_name='full resync requested')),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='last confirmed')),
                        ('last_push_at', models.DateTimeField(blank=True, null=True, verbose_name='last push')),
                        ('last_push_kind', models.CharField(blank=True, max_length=8, verbose_name='last push kind')),
                        ('last_push_bytes', models.PositiveIntegerField(default=0, verbose_name='last push bytes')),
                        ('last_error', models.TextField(blank=True, verbose_name='last error')),
                        ('last_error_at', models.DateTimeField(blank=True, null=True, verbose_name='last error at')),
                        ('offline_since', models.DateTimeField(blank=True, null=True, verbose_name='offline since')),
                        ('failures', models.PositiveIntegerField(default=0, verbose_name='failures in a row')),
                        ('last_heartbeat_at', models.DateTimeField(blank=True, null=True, verbose_name='last heartbeat')),
                        ('reported_version', models.BigIntegerField(blank=True, null=True, verbose_name='version reported')),
                        ('reported_digest', models.CharField(blank=True, max_length=64, verbose_name='digest reported')),
                        ('firmware', models.CharField(blank=True, max_length=100, verbose_name='firmware')),
                        ('clock_offset_seconds', models.IntegerField(blank=True, null=True, verbose_name='clock offset (s)')),
                        ('heartbeat_sequence', models.BigIntegerField(blank=True, editable=False, null=True, verbose_name='heartbeat sequence')),
                        ('lease_until', models.DateTimeField(blank=True, editable=False, null=True)),
                    ],
                    options={
                        'verbose_name': 'controller sync state',
                        'verbose_name_plural': 'controller sync states',
                        'db_table': 'riders_controllersync',
                    },
                ),
                migrations.CreateModel(
                    name='AccessChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.BigIntegerField(verbose_name='version')),
                        ('op', models.CharField(choices=[('put', 'add or update a pass'), ('del', 'remove a pass'), ('policy', 'entry policy'), ('keys', 'pass-signing keys')], max_length=8, verbose_name='operation')),
                        ('grant_id', models.BigIntegerField(blank=True, null=True, verbose_name='grant')),
                        ('payload', models.JSONField(blank=True, default=dict, verbose_name='payload')),
                        ('cause', models.CharField(blank=True, max_length=32, verbose_name='cause')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                        ('community', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='access_changes', to='communities.community', verbose_name='community')),
                    ],
                    options={
                        'verbose_name': 'access change',
                        'verbose_name_plural': 'access changes',
                        'db_table': 'riders_accesschange',
                        'constraints': [models.UniqueConstraint(fields=('community', 'version'), name='access_change_version_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='AccessListEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rider_id', models.BigIntegerField(verbose_name='rider')),
                        ('valid_from', models.BigIntegerField(verbose_name='valid from (Unix seconds)')),
                        ('valid_until', models.BigIntegerField(null=True, verbose_name='valid until (Unix seconds)')),
                        ('version', models.BigIntegerField(verbose_name='version')),
                        ('community', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='access_entries', to='communities.community', verbose_name='community')),
                        ('grant', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='list_entry', to='riders.accessgrant', verbose_name='grant')),
                    ],
                    options={
                        'verbose_name': 'access list entry',
                        'verbose_name_plural': 'access list entries',
                        'db_table': 'riders_accesslistentry',
                        'indexes': [models.Index(fields=['community', 'grant'], name='access_entry_community'), models.Index(fields=['valid_until'], name='access_entry_until')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_forward, content_types_back),
    ]
