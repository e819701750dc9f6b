"""Django's admin history view looks an object up before it checks permissions; our model
admins answer an id the user may not see exactly as a missing one (the redirect to the
index), so staff cannot tell which owners', resolutions' or audit rows' ids exist."""

from __future__ import annotations

import pytest

from core.audit import audit_record
from core.models import AuditEntry
from governance.models import Owner, Resolution
from governance.tests.factories import resolution_draft

pytestmark = pytest.mark.django_db


def _history(client, label: str, object_id: int):
    return client.get(f"/admin/{label}/{object_id}/history/")


@pytest.mark.parametrize("label", ["governance/owner", "governance/resolution", "core/auditentry"])
def test_an_existing_id_answers_as_a_missing_one_for_staff_who_may_not_see_it(
    client, other_staff_user, owner, community, label
):
    resolution = resolution_draft(community)
    audit_record(action="test", obj=resolution, acting_user=None)
    existing = {
        "governance/owner": Owner.objects.get(pk=owner.pk).pk,
        "governance/resolution": Resolution.objects.get(pk=resolution.pk).pk,
        "core/auditentry": AuditEntry.objects.latest("id").pk,
    }[label]
    client.force_login(other_staff_user)
    found, missing = _history(client, label, existing), _history(client, label, existing + 10_000)
    assert (found.status_code, found.get("Location")) == (302, "/admin/")
    assert (missing.status_code, missing.get("Location")) == (302, "/admin/")


def test_a_superuser_still_reads_the_history(admin_client, owner):
    assert _history(admin_client, "governance/owner", owner.pk).status_code == 200
