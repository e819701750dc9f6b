"""The access change log: what each change writes, in its own transaction, and the
documents and digests read from it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone

from communities.models import EntryPolicy
from communities.services import rules_publish
from communities.tests.factories import CommunityFactory, GateControllerFactory, GateFactory
from gatesync.documents import (
    delta_document,
    head_version,
    list_digest,
    portal_digest,
    snapshot_document,
)
from gatesync.models import AccessChange, AccessListEntry, ControllerSync
from gatesync.tasks import controllers_behind, expired_sweep
from riders.models import AccessGrant, GrantSource, GrantStatus
from riders.services.gate_access import community_rebuild, grant_changed
from riders.services.grants import (
    grant_approve,
    grant_reinstate,
    grant_request,
    grant_revoke,
    grant_set_validity,
    grant_suspend,
)
from riders.services.keys import pass_key_rotate
from riders.tests.factories import RiderFactory

pytestmark = pytest.mark.django_db


def _request(community, **rider_kwargs) -> AccessGrant:
    rider = RiderFactory(**rider_kwargs)
    return grant_request(
        rider=rider, community=community, source=GrantSource.PLATFORM, acting_user=None
    )


def _ops(community) -> list[tuple[str, int | None]]:
    return list(
        AccessChange.objects.filter(community=community)
        .exclude(op="policy")
        .order_by("version")
        .values_list("op", "grant_id")
    )


def test_an_auto_approved_registration_puts_the_grant_on_the_list(community):
    before = head_version(community.pk)
    grant = _request(community)
    assert grant.status == GrantStatus.ACTIVE
    entry = AccessListEntry.objects.get(grant=grant)
    assert entry.as_list() == [
        grant.pk,
        grant.rider_id,
        int(grant.valid_from.timestamp()),
        int(grant.valid_until.timestamp()),
    ]
    assert head_version(community.pk) == before + 1 == entry.version
    assert _ops(community) == [("put", grant.pk)]


def test_a_pending_request_writes_nothing_until_approved(community):
    community.auto_approve_verified_riders = False
    community.save()
    grant = _request(community)
    assert grant.status == GrantStatus.PENDING
    assert _ops(community) == []
    grant_approve(grant=grant, acting_user=None)
    assert _ops(community) == [("put", grant.pk)]


def test_suspend_revoke_reinstate_and_validity_each_log_one_change(community):
    grant = _request(community)
    grant_suspend(grant=grant, reason="complaint", acting_user=None)
    grant_reinstate(grant=grant, acting_user=None)
    later = timezone.now() + dt.timedelta(days=30)
    grant_set_validity(
        grant=grant, valid_from=grant.valid_from, valid_until=later, acting_user=None
    )
    grant_revoke(grant=grant, reason="left the platform", acting_user=None)
    assert _ops(community) == [
        ("put", grant.pk),
        ("del", grant.pk),
        ("put", grant.pk),
        ("put", grant.pk),
        ("del", grant.pk),
    ]
    versions = list(
        AccessChange.objects.filter(community=community).values_list("version", flat=True)
    )
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert not AccessListEntry.objects.filter(grant=grant).exists()


def test_an_entry_carries_the_version_of_the_change_that_wrote_it(community):
    grant = _request(community)
    later = timezone.now() + dt.timedelta(days=30)
    grant_set_validity(
        grant=grant, valid_from=grant.valid_from, valid_until=later, acting_user=None
    )
    entry = AccessListEntry.objects.get(grant=grant)
    last = AccessChange.objects.filter(community=community).latest("version")
    assert entry.version == last.version == head_version(community.pk)
    assert entry.valid_until == int(later.timestamp())
    assert last.payload == {"entry": entry.as_list()} and last.cause == "set_validity"
    grant_suspend(grant=grant, reason="complaint", acting_user=None)
    last = AccessChange.objects.filter(community=community).latest("version")
    assert (last.op, last.grant_id, last.payload) == ("del", grant.pk, {})
    assert last.version == head_version(community.pk)
    assert not AccessListEntry.objects.filter(grant=grant).exists()


def test_a_communitys_first_change_creates_its_head():
    from gatesync.models import AccessListHead

    community = CommunityFactory(auto_approve_verified_riders=True)
    # A community made before gate sync existed: no head, no log.
    AccessChange.objects.filter(community=community).delete()
    AccessListHead.objects.filter(community=community).delete()
    grant = _request(community)
    assert grant.status == GrantStatus.ACTIVE
    assert head_version(community.pk) == 1
    assert AccessListEntry.objects.get(grant=grant).version == 1
    assert _ops(community) == [("put", grant.pk)]


@pytest.mark.django_db(transaction=True)  # real commits: the push runs after one
def test_a_grant_change_pushes_after_commit_to_the_enabled_controllers(community, monkeypatch):

    from gatesync import tasks

    gate = GateFactory(community=community)
    enabled = [GateControllerFactory(gate=gate), GateControllerFactory(gate=gate)]
    GateControllerFactory(gate=gate, enabled=False)
    pushed: list[list[int]] = []
    monkeypatch.setattr(tasks, "enqueue_many", lambda ids: pushed.append(ids) or len(ids))
    # Read by the change's own statement: no query of its own.
    monkeypatch.setattr(tasks, "enqueue_community", lambda pk: pytest.fail("queried"))
    with transaction.atomic():
        _request(community)
        assert pushed == []  # nothing before commit
    assert pushed == [sorted(c.pk for c in enabled)]


def test_a_change_that_alters_nothing_writes_nothing(community):
    grant = _request(community)
    head = head_version(community.pk)
    assert grant_changed(grant, cause="again") is None
    assert head_version(community.pk) == head


def test_a_rolled_back_change_leaves_no_log_row(community):
    grant = _request(community)
    head = head_version(community.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        grant_revoke(grant=grant, reason="mistake", acting_user=None)
        raise RuntimeError("the caller fails after the change")
    assert head_version(community.pk) == head
    assert AccessListEntry.objects.filter(grant_id=grant.pk).exists()


def test_turning_no_entry_logs_the_policy_once(community, staff_user):
    head = head_version(community.pk)
    rules_publish(
        community=community,
        acting_user=staff_user,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="North gate cabinet",
    )
    change = AccessChange.objects.filter(community=community).latest("version")
    assert change.op == "policy"
    assert change.payload["policy"]["entry"] == "no_entry"
    assert head_version(community.pk) == head + 1
    # The same policy again (another field changed) writes no policy row.
    rules_publish(community=community, acting_user=staff_user, notes="Ring the bell")
    assert head_version(community.pk) == head + 1


def test_a_pass_key_rotation_reaches_communities_with_controllers(community, gate):
    GateControllerFactory(gate=gate)
    head = head_version(community.pk)
    pass_key_rotate(acting_user=None)
    change = AccessChange.objects.filter(community=community).latest("version")
    assert change.op == "keys" and change.payload["keys"][0]["kty"] == "OKP"
    assert head_version(community.pk) == head + 1


def test_the_expiry_sweep_removes_ended_grants_once(community):
    grant = _request(community)
    AccessListEntry.objects.filter(grant=grant).update(
        valid_until=int((timezone.now() - dt.timedelta(seconds=1)).timestamp())
    )
    assert expired_sweep() == 1
    assert _ops(community)[-1] == ("del", grant.pk)
    assert expired_sweep() == 0


def test_a_delta_names_each_grant_once_with_its_last_state(community):
    first, second = _request(community), _request(community)
    start = head_version(community.pk)
    grant_suspend(grant=first, reason="check", acting_user=None)
    grant_reinstate(grant=first, acting_user=None)
    grant_revoke(grant=second, reason="gone", acting_user=None)
    doc = delta_document(controller_id=1, community_id=community.pk, from_version=start)
    assert doc["from_version"] == start and doc["version"] == start + 3
    assert [(c["op"], c.get("grant") or c["entry"][0]) for c in doc["changes"]] == [
        ("put", first.pk),
        ("del", second.pk),
    ]


def test_a_delta_cannot_be_made_when_log_rows_are_missing(community):
    _request(community)
    start = head_version(community.pk)
    _request(community)
    _request(community)
    AccessChange.objects.filter(community=community, version=start + 1).delete()
    assert delta_document(controller_id=1, community_id=community.pk, from_version=start) is None
    assert delta_document(controller_id=1, community_id=community.pk, from_version=0) is None


def test_a_delta_for_one_change_does_not_grow_with_the_list(community):
    def one_change(as_sent: bool) -> int:
        start = head_version(community.pk)
        _request(community)
        doc = delta_document(controller_id=7, community_id=community.pk, from_version=start)
        # Ids and versions grow a digit now and then, whatever ran before in this database:
        # compare the documents with every number written as 0, and bound the real size.
        return len(json.dumps(doc if as_sent else _numbers_zeroed(doc), separators=(",", ":")))

    small = one_change(as_sent=False)
    for _ in range(200):
        _request(community)
    assert one_change(as_sent=False) == small
    assert one_change(as_sent=True) < 2048


def _numbers_zeroed(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return 0
    if isinstance(value, dict):
        return {k: _numbers_zeroed(v) for k, v in value.items()}
    return [_numbers_zeroed(v) for v in value]


def test_the_snapshot_matches_the_grants_and_the_digest(community):
    grants = [_request(community) for _ in range(5)]
    grant_revoke(grant=grants[0], reason="gone", acting_user=None)
    doc = snapshot_document(controller_id=3, community_id=community.pk)
    assert doc["version"] == head_version(community.pk)
    assert [e[0] for e in doc["entries"]] == sorted(g.pk for g in grants[1:])
    assert doc["keys"] and doc["policy"]["entry"] in EntryPolicy.values
    version, digest, size = portal_digest(community.pk)
    assert (version, size) == (doc["version"], 4)
    assert digest == list_digest(doc["entries"], doc["policy"])


def test_the_digest_is_the_protocols(community):
    entries = [[2, 9, 100, None], [1, 8, 100, 200]]
    policy = {"entry": "registered", "rider_hours": ["07:00", "23:00"]}
    import hashlib

    text = "1,8,100,200\n2,9,100,\npolicy:registered,07:00,23:00\n"
    assert list_digest(entries, policy) == hashlib.sha256(text.encode()).hexdigest()


def test_rebuild_repairs_a_list_written_around_the_services(community):
    rider = RiderFactory()
    grant = AccessGrant.objects.create(
        rider=rider,
        community=community,
        status=GrantStatus.ACTIVE,
        source=GrantSource.MANUAL,
        valid_until=timezone.now() + dt.timedelta(days=5),
    )
    assert community_rebuild(community.pk) == 1
    assert AccessListEntry.objects.filter(grant=grant).exists()
    assert community_rebuild(community.pk) == 0


def test_controllers_behind_their_head_are_found_and_failures_wait(community):
    in_sync = GateControllerFactory(gate=GateFactory(community=community))
    behind = GateControllerFactory(gate=GateFactory(community=community))
    failing = GateControllerFactory(gate=GateFactory(community=community))
    other = GateControllerFactory(gate=GateFactory(community=CommunityFactory()))
    _request(community)
    head = head_version(community.pk)
    ControllerSync.objects.filter(controller=in_sync).update(version_held=head)
    ControllerSync.objects.filter(controller=behind).update(version_held=head - 1)
    ControllerSync.objects.filter(controller=failing).update(
        version_held=0, failures=6, last_error_at=timezone.now()
    )
    ControllerSync.objects.filter(controller=other).update(
        version_held=head_version(other.gate.community_id)
    )
    due = controllers_behind()
    assert behind.pk in due and failing.pk not in due and in_sync.pk not in due
    assert other.pk not in due  # in sync with its own community's head
    later = timezone.now() + dt.timedelta(minutes=10)
    assert failing.pk in controllers_behind(now=later)
