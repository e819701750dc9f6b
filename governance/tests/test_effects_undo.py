"""Effects that undo themselves: a later resolution that lets riders in again gives back
exactly what an earlier no-entry resolution took (issue 19, item 1)."""

from __future__ import annotations

import pytest
from django.utils import translation

from communities.models import EntryPolicy
from gatesync.models import AccessChange
from governance import services
from governance.models import Choice, GrantSuspension, ResolutionState
from riders.models import GrantStatus
from riders.services.grants import grant_revoke, grant_suspend
from riders.tests.factories import AccessGrantFactory, RiderFactory

from .factories import owners_each_one_unit, resolution_opened, votes_cast

pytestmark = pytest.mark.django_db

NO_ENTRY = {"type": "entry_policy", "policy": "no_entry", "handoff_point": "North gate shelf"}
REGISTERED = {"type": "entry_policy", "policy": "registered"}


def decide(community, owners, effect, staff_user=None):
    """Open, vote for, close; confirm the hand-off point when the resolution asks for it."""
    resolution = resolution_opened(community, effect=effect)
    votes_cast(resolution, owners, Choice.FOR)
    resolution = services.resolution_close(resolution=resolution, acting_user=staff_user)
    if resolution.state == ResolutionState.PASSED_PENDING:
        resolution = services.resolution_handoff_set(
            resolution=resolution,
            handoff_point=effect.get("handoff_point") or "North gate shelf",
            acting_user=staff_user,
        )
    assert resolution.state == ResolutionState.PASSED
    return resolution


def active_grant(community, platform, rider_id):
    rider = RiderFactory(platform=platform, platform_rider_id=rider_id)
    return AccessGrantFactory(rider=rider, community=community, source="platform")


def test_reopening_entry_reinstates_exactly_the_grants_the_resolution_suspended(
    community, platform, staff_user
):
    owners = owners_each_one_unit(community, 3)
    by_resolution = active_grant(community, platform, "r-1")
    staff_revoked_later = active_grant(community, platform, "r-2")
    staff_suspended_before = active_grant(community, platform, "r-3")
    grant_suspend(grant=staff_suspended_before, reason="Rode on the lawn", acting_user=staff_user)

    forbid = decide(community, owners, NO_ENTRY, staff_user)
    by_resolution.refresh_from_db()
    assert by_resolution.status == GrantStatus.SUSPENDED
    staff_revoked_later.refresh_from_db()
    from riders.services.grants import grant_revoke

    grant_revoke(grant=staff_revoked_later, reason="Fake papers", acting_user=staff_user)
    assert GrantSuspension.objects.filter(resolution=forbid).count() == 2

    before = AccessChange.objects.filter(community=community).count()
    reopen = decide(community, owners, REGISTERED, staff_user)

    by_resolution.refresh_from_db()
    staff_revoked_later.refresh_from_db()
    staff_suspended_before.refresh_from_db()
    assert by_resolution.status == GrantStatus.ACTIVE
    assert by_resolution.reason == f"reinstated by resolution #{reopen.number}"
    assert staff_revoked_later.status == GrantStatus.REVOKED
    assert (staff_suspended_before.status, staff_suspended_before.reason) == (
        GrantStatus.SUSPENDED,
        "Rode on the lawn",
    )
    # The gates learn it: the change log has the reinstatement, and only that one.
    changes = AccessChange.objects.filter(community=community).order_by("version")[before:]
    assert [(c.grant_id, c.cause) for c in changes if c.grant_id] == [
        (by_resolution.pk, "reinstate")
    ]
    assert set(
        GrantSuspension.objects.filter(resolution=forbid).values_list("lifted_by", "reinstated")
    ) == {(reopen.pk, True), (reopen.pk, False)}


def test_a_second_reopening_reinstates_nothing_more(community, platform, staff_user):
    owners = owners_each_one_unit(community, 3)
    grant = active_grant(community, platform, "r-1")
    decide(community, owners, NO_ENTRY, staff_user)
    decide(community, owners, REGISTERED, staff_user)
    grant_suspend(grant=grant, reason="resolution #1", acting_user=staff_user)  # staff, later
    decide(community, owners, {"type": "entry_policy", "policy": EntryPolicy.OPEN}, staff_user)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.SUSPENDED


def test_a_resolutions_reason_on_a_grant_reads_in_the_readers_language(
    community, platform, staff_user
):
    owners = owners_each_one_unit(community, 3)
    grant = active_grant(community, platform, "r-lang")
    with translation.override("zh-hans"):
        forbid = decide(community, owners, NO_ENTRY, staff_user)
    grant.refresh_from_db()
    assert grant.reason_code == "governance.suspended"
    with translation.override("en"):
        assert grant.reason_text == f"resolution #{forbid.number}"
    with translation.override("zh-hans"):
        assert grant.reason_text == grant.reason  # written in Chinese, shown in Chinese
        assert grant.reason_text != f"resolution #{forbid.number}"
    # A reason staff type is theirs, in whatever language they typed it.
    grant_revoke(grant=grant, reason="骑上草坪", acting_user=staff_user)
    grant.refresh_from_db()
    assert (grant.reason_code, grant.reason_params) == ("", None)
    with translation.override("en"):
        assert grant.reason_text == "骑上草坪"
