"""The access helpers, one per object (`<object>_for_user(user, key, *, perm)` in each app's
permissions.py): staff of another company get the very Http404 a key that does not exist
gets, so no id, slug or entry code can be probed. docs/security-matrix.md."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from communities.permissions import (
    CHANGE,
    GUARD,
    MANAGE_RIDERS,
    VIEW,
    community_for_user,
    controller_for_user,
    gate_for_user,
    gates_for_user,
)
from coordination.permissions import (
    action_item_for_user,
    district_community_for_user,
    meeting_for_user,
    poll_for_user,
)
from coordination.services import action_item_create, meeting_schedule, poll_create
from governance.permissions import (
    feedback_for_user,
    owner_of_user,
    resolution_for_owner,
    resolution_for_user,
)
from riders.permissions import grant_for_user, grants_for_user, rider_for_user

from .conftest import World

pytestmark = pytest.mark.django_db

MISSING = 987654
MISSING_SLUG = "no-such-community"


@pytest.fixture
def objects(world: World) -> dict[str, Any]:
    """The world's objects, and a meeting, a decision and a poll of its community."""
    meeting = meeting_schedule(
        community=world.community,
        title="Coordination",
        scheduled_at=timezone.now() - dt.timedelta(days=1),
        acting_user=None,
    )
    action = action_item_create(
        meeting=meeting,
        title="Paint house numbers",
        owner_name="Office",
        owner_side="staff",
        due_on=timezone.localdate(),
        acting_user=None,
    )
    poll = poll_create(
        community=world.community,
        audience="owners",
        question="A food cabinet?",
        closes_at=timezone.now() + dt.timedelta(days=7),
        acting_user=None,
    )
    return {"meeting": meeting, "action": action, "poll": poll}


#: helper name -> call(world, objects, user, missing): the helper asked for the world's
#: object (or, with `missing`, for a key nobody holds) with the permission its views use.
Call = Callable[[World, dict[str, Any], Any, bool], Any]
STAFF_HELPERS: dict[str, Call] = {
    "community_for_user (slug)": lambda w, o, user, missing: community_for_user(
        user, MISSING_SLUG if missing else w.community.slug, perm=VIEW
    ),
    "community_for_user (pk)": lambda w, o, user, missing: community_for_user(
        user, MISSING if missing else w.community.pk, perm=CHANGE
    ),
    "gate_for_user (entry code)": lambda w, o, user, missing: gate_for_user(
        user, "no-such-code" if missing else w.gate.entry_code, perm=GUARD
    ),
    "gate_for_user (pk)": lambda w, o, user, missing: gate_for_user(
        user, MISSING if missing else w.gate.pk, perm=MANAGE_RIDERS
    ),
    "controller_for_user": lambda w, o, user, missing: controller_for_user(
        user, w.community.slug, MISSING if missing else w.controller.pk, perm=CHANGE
    ),
    "rider_for_user": lambda w, o, user, missing: rider_for_user(
        user, MISSING if missing else w.rider.pk, perm=MANAGE_RIDERS
    ),
    "grant_for_user": lambda w, o, user, missing: grant_for_user(
        user, w.rider.pk, MISSING if missing else w.grant.pk, perm=MANAGE_RIDERS
    ),
    "resolution_for_user": lambda w, o, user, missing: resolution_for_user(
        user, w.community.slug, MISSING if missing else w.resolution.pk, perm=VIEW
    ),
    "feedback_for_user": lambda w, o, user, missing: feedback_for_user(
        user, w.community.slug, MISSING if missing else w.feedback.pk, perm=CHANGE
    ),
    "meeting_for_user": lambda w, o, user, missing: meeting_for_user(
        user, w.community.slug, MISSING if missing else o["meeting"].pk, perm=VIEW
    ),
    "action_item_for_user": lambda w, o, user, missing: action_item_for_user(
        user, w.community.slug, MISSING if missing else o["action"].pk, perm=CHANGE
    ),
    "poll_for_user": lambda w, o, user, missing: poll_for_user(
        user, w.community.slug, MISSING if missing else o["poll"].pk, perm=CHANGE
    ),
}


def _refusal(call: Callable[[], Any]) -> str:
    with pytest.raises(Http404) as refused:
        call()
    return str(refused.value)


@pytest.mark.parametrize("helper", sorted(STAFF_HELPERS))
def test_another_companys_staff_get_the_404_of_a_missing_key(helper, world, objects):
    call = STAFF_HELPERS[helper]
    here, there = world.users["staff_here"], world.users["staff_there"]
    assert call(world, objects, here, False) is not None
    forbidden = _refusal(lambda: call(world, objects, there, False))
    missing = _refusal(lambda: call(world, objects, here, True))
    assert forbidden == missing
    # Nobody logged in gets the same answer too.
    assert _refusal(lambda: call(world, objects, AnonymousUser(), False)) == missing


@pytest.mark.parametrize("helper", sorted(STAFF_HELPERS))
def test_a_street_office_gets_the_404_of_a_missing_key_from_every_staff_helper(
    helper, world, objects
):
    call = STAFF_HELPERS[helper]
    missing = _refusal(lambda: call(world, objects, world.users["staff_here"], True))
    officer = world.users["street_office"]
    assert _refusal(lambda: call(world, objects, officer, False)) == missing


def test_the_district_helper_finds_the_offices_district_only(world):
    officer = world.users["street_office"]
    assert district_community_for_user(officer, world.community.slug) == world.community
    missing = _refusal(lambda: district_community_for_user(officer, MISSING_SLUG))
    for user, slug in (
        (officer, world.other_community.slug),  # another district (and company)
        (world.users["staff_here"], world.community.slug),  # staff are no office
        (AnonymousUser(), world.community.slug),
    ):
        assert _refusal(lambda u=user, s=slug: district_community_for_user(u, s)) == missing
    # An office never changes anything.
    refused = _refusal(
        lambda: district_community_for_user(officer, world.community.slug, perm=CHANGE)
    )
    assert refused == missing


@pytest.mark.parametrize(
    ("helper", "key"),
    [
        (resolution_for_user, lambda w, o: w.resolution.pk),
        (feedback_for_user, lambda w, o: w.feedback.pk),
        (meeting_for_user, lambda w, o: o["meeting"].pk),
        (action_item_for_user, lambda w, o: o["action"].pk),
        (poll_for_user, lambda w, o: o["poll"].pk),
        (controller_for_user, lambda w, o: w.controller.pk),
    ],
)
def test_an_id_under_another_communitys_slug_is_missing(helper, key, world, objects):
    """Staff of the other company, under their own community's slug, naming this
    community's object: 404, as for an id that does not exist there."""
    there = world.users["staff_there"]
    forbidden = _refusal(lambda: helper(there, world.other_community.slug, key(world, objects)))
    missing = _refusal(lambda: helper(there, world.other_community.slug, MISSING))
    assert forbidden == missing


def test_a_grant_under_another_riders_id_is_missing(world):
    here = world.users["staff_here"]
    other_rider = world.rider.pk + MISSING
    forbidden = _refusal(
        lambda: grant_for_user(here, other_rider, world.grant.pk, perm=MANAGE_RIDERS)
    )
    missing = _refusal(lambda: grant_for_user(here, world.rider.pk, MISSING, perm=MANAGE_RIDERS))
    assert forbidden == missing


def test_a_guard_may_not_manage_the_gate_they_guard(world):
    guard = world.users["guard"]
    assert gate_for_user(guard, world.gate.entry_code, perm=GUARD) == world.gate
    forbidden = _refusal(lambda: gate_for_user(guard, world.gate.pk, perm=MANAGE_RIDERS))
    assert forbidden == _refusal(lambda: gate_for_user(guard, MISSING, perm=MANAGE_RIDERS))


def test_the_lists_hold_nothing_of_another_company(world):
    here, there = world.users["staff_here"], world.users["staff_there"]
    assert world.gate in gates_for_user(here, perm=GUARD)
    assert world.gate not in gates_for_user(there, perm=GUARD)
    assert world.grant in grants_for_user(here, perm=VIEW)
    assert not grants_for_user(there, perm=VIEW).filter(pk=world.grant.pk).exists()


def test_another_companys_owner_gets_the_404_of_a_missing_resolution(world):
    owner_here, owner_there = world.owners["owner_here"], world.owners["owner_there"]
    assert resolution_for_owner(owner_here, world.resolution.pk) == world.resolution
    forbidden = _refusal(lambda: resolution_for_owner(owner_there, world.resolution.pk))
    assert forbidden == _refusal(lambda: resolution_for_owner(owner_here, MISSING))


def test_only_an_owner_is_an_owner(world):
    assert owner_of_user(world.users["owner_here"]) == world.owners["owner_here"]
    staff = _refusal(lambda: owner_of_user(world.users["staff_there"]))
    assert staff == _refusal(lambda: owner_of_user(AnonymousUser()))
