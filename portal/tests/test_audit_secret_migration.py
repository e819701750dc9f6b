"""portal 0002: audit rows written before the admin hid secrets lose the clear text."""

import importlib

import pytest

from core.models import AuditEntry

migration = importlib.import_module("portal.migrations.0002_blank_audited_secrets")


class _Registry:
    """The migration's `apps`: the audit model moved to core (core 0001), its table did not."""

    def get_model(self, app_label: str, model_name: str):
        assert (app_label, model_name) == ("portal", "AuditEntry")
        return AuditEntry


@pytest.mark.django_db
def test_old_audit_rows_lose_controller_secrets_and_keep_the_rest():
    leaked = AuditEntry.objects.create(
        action="admin.change",
        object_type="communities.gatecontroller",
        object_id="7",
        before={"secret": "old-secret", "name": "North"},
        after={"secret": "new-secret", "name": "North gate"},
    )
    clean = AuditEntry.objects.create(
        action="admin.change",
        object_type="communities.gatecontroller",
        object_id="8",
        before={"secret": "(hidden)"},
        after={"secret": "changed"},
    )
    unrelated = AuditEntry.objects.create(
        action="grant.approve", object_type="riders.accessgrant", object_id="1", after={"a": 1}
    )
    migration.blank_secrets(_Registry(), None)
    leaked.refresh_from_db()
    assert leaked.before == {"secret": "(hidden)", "name": "North"}
    assert leaked.after == {"secret": "changed", "name": "North gate"}
    clean.refresh_from_db()
    assert clean.after == {"secret": "changed"}
    unrelated.refresh_from_db()
    assert unrelated.after == {"a": 1}
