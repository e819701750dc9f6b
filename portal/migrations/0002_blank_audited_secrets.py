"""Audit rows written by the admin before its audit mixin (communities/admin/audit.py)
hid secrets hold a gate controller's `secret` in clear text in `before`/`after`. Replace
those values with the words the mixin writes now. Irreversible by design."""

from django.db import migrations

# Frozen copy of communities.admin.audit's names and words (a migration must not follow
# later edits of application code).
SECRET_FIELDS = ("secret", "password", "private_pem", "api_key", "token")
KEPT, CHANGED = "(hidden)", "changed"


def blank_secrets(apps, schema_editor):
    AuditEntry = apps.get_model("portal", "AuditEntry")
    rows = AuditEntry.objects.filter(
        before__has_any_keys=SECRET_FIELDS
    ) | AuditEntry.objects.filter(after__has_any_keys=SECRET_FIELDS)
    for entry in rows.only("id", "before", "after").iterator(chunk_size=500):
        changed = False
        for side, word in (("before", KEPT), ("after", CHANGED)):
            data = getattr(entry, side)
            if not isinstance(data, dict):
                continue
            for name in SECRET_FIELDS:
                if name in data and data[name] not in (KEPT, CHANGED):
                    data[name] = word
                    changed = True
        if changed:
            AuditEntry.objects.filter(pk=entry.pk).update(before=entry.before, after=entry.after)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunPython(blank_secrets, migrations.RunPython.noop, elidable=True)]
