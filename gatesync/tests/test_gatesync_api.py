"""Controller → portal endpoints of the gate protocol: heartbeat, events, pull."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from django.utils import timezone

from communities.tests.factories import CommunityFactory, GateControllerFactory, GateFactory
from gatesync.documents import head_version, portal_digest
from gatesync.models import ControllerSync
from riders.models import AccessEvent, EventSource, GrantSource
from riders.services.grants import grant_request, grant_revoke
from riders.tests.factories import RiderFactory, controller_meta

pytestmark = pytest.mark.django_db


@pytest.fixture
def controller(gate):
    return GateControllerFactory(gate=gate, secret="gate-secret")


def _signed(client, controller, path, payload=None, *, secret=None, method="post"):
    body = b"" if payload is None else json.dumps(payload).encode()
    if path.endswith("/heartbeat") and isinstance(payload, dict):
        held, digest, _size = portal_digest(controller.gate.community_id)
        digest = digest if payload.get("version") == held else "0" * 64
        payload = {"seq": time.time_ns() // 1000, "digest": digest, **payload}
        body = json.dumps(payload).encode()
    headers = controller_meta(controller, method.upper(), path, body, secret=secret)
    if method == "get":
        return client.get(path, **headers)
    return client.post(path, data=body, content_type="application/json", **headers)


def _grant(community):
    return grant_request(
        rider=RiderFactory(), community=community, source=GrantSource.PLATFORM, acting_user=None
    )


def test_a_heartbeat_is_recorded_and_says_what_comes_next(client, controller, community):
    _grant(community)
    head = head_version(community.pk)
    answer = _signed(
        client, controller, "/api/v1/gates/heartbeat", {"version": 0, "firmware": "gatesim 1.0"}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["head"] == head and answer.json()["action"] == "snapshot"
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.last_heartbeat_at is not None and sync.firmware == "gatesim 1.0"
    ControllerSync.objects.filter(pk=sync.pk).update(version_held=head, needs_snapshot=False)
    answer = _signed(client, controller, "/api/v1/gates/heartbeat", {"version": head})
    assert answer.json()["action"] == "none"


def test_a_controller_reporting_a_lower_version_gets_a_snapshot(client, controller, community):
    _grant(community)
    _grant(community)
    head = head_version(community.pk)
    ControllerSync.objects.filter(controller=controller).update(version_held=head)
    answer = _signed(client, controller, "/api/v1/gates/heartbeat", {"version": 1})
    assert answer.json()["action"] == "snapshot"
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.needs_snapshot and sync.version_held == 1


def test_unsigned_or_badly_signed_requests_are_refused(client, controller):
    assert client.post("/api/v1/gates/heartbeat", {"version": 1}).status_code == 403
    bad = _signed(client, controller, "/api/v1/gates/heartbeat", {"version": 1}, secret="wrong")
    assert bad.status_code == 403
    assert not ControllerSync.objects.filter(
        controller=controller, last_heartbeat_at__isnull=False
    ).exists()


def test_bad_heartbeats_get_a_400(client, controller):
    for payload in ({}, {"version": -1}, {"version": "x"}, [1, 2]):
        answer = _signed(client, controller, "/api/v1/gates/heartbeat", payload)
        assert answer.status_code == 400, payload


def _event(grant=None, **extra):
    return {
        "event_id": str(uuid.uuid4()),
        "grant": grant.pk if grant else None,
        "rider": grant.rider_id if grant else None,
        "direction": "in",
        "decision": "open" if grant else "deny",
        "reason": "ok" if grant else "bad_signature",
        "occurred_at": timezone.now().isoformat(),
        **extra,
    }


def test_events_are_stored_once_whatever_the_retries(client, controller, community, gate):
    grant = _grant(community)
    batch = {"events": [_event(grant), _event(None), _event(grant, direction="out")]}
    first = _signed(client, controller, "/api/v1/gates/events", batch)
    assert first.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    again = _signed(client, controller, "/api/v1/gates/events", batch)
    assert again.json() == {"accepted": 0, "duplicates": 3, "rejected": []}
    stored = AccessEvent.objects.filter(gate=gate, source=EventSource.CONTROLLER)
    assert stored.count() == 3
    assert stored.filter(rider=grant.rider, grant=grant).count() == 2


def test_bad_events_are_listed_and_the_rest_stored(client, controller, community):
    other_gate = GateFactory(community=CommunityFactory())
    grant_elsewhere = _grant(other_gate.community)
    batch = {
        "events": [
            _event(None, reason="because"),
            _event(None, event_id="nope"),
            _event(None, gate=other_gate.entry_code),
            _event(None, occurred_at=(timezone.now() - dt.timedelta(days=40)).isoformat()),
            _event(grant_elsewhere),
            _event(None),
        ]
    }
    answer = _signed(client, controller, "/api/v1/gates/events", batch).json()
    assert [r["index"] for r in answer["rejected"]] == [0, 1, 2, 3]
    assert answer["accepted"] == 2
    # A grant of another community is not linked to this community's event.
    assert not AccessEvent.objects.filter(grant=grant_elsewhere).exists()


def test_an_oversized_or_shapeless_batch_is_refused(client, controller):
    too_many = {"events": [_event(None) for _ in range(501)]}
    assert _signed(client, controller, "/api/v1/gates/events", too_many).status_code == 400
    assert _signed(client, controller, "/api/v1/gates/events", {"x": 1}).status_code == 400
    assert AccessEvent.objects.count() == 0


def test_pull_answers_a_snapshot_then_deltas(client, controller, community):
    grant = _grant(community)
    snapshot = _signed(client, controller, "/api/v1/gates/sync?since=0", method="get").json()
    assert snapshot["type"] == "snapshot" and snapshot["entries"][0][0] == grant.pk
    grant_revoke(grant=grant, reason="gone", acting_user=None)
    since = snapshot["version"]
    delta = _signed(client, controller, f"/api/v1/gates/sync?since={since}", method="get").json()
    assert delta["type"] == "delta"
    assert delta["changes"] == [{"v": since + 1, "op": "del", "grant": grant.pk}]
    same = _signed(client, controller, f"/api/v1/gates/sync?since={since + 1}", method="get")
    assert same.json()["changes"] == []
    bad = _signed(client, controller, "/api/v1/gates/sync?since=x", method="get")
    assert bad.status_code == 400
