"""Gate protocol v2 on the portal's side (docs/gate-protocol.md §1, §3, §4): the five
breaks of issue 17 (reflection of a read onto the pull, a reflected push onto the
heartbeat, a replayed heartbeat, rollback, a wrong digest) are refused, with codes."""

from __future__ import annotations

import datetime as dt
import json
import time
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from communities.tests.factories import GateControllerFactory
from gatesync.auth import TO_CONTROLLER, TO_PORTAL, sign_v2
from gatesync.documents import delta_document, head_version, portal_digest
from gatesync.drivers import PushResult
from gatesync.drivers.http_json import request_headers
from gatesync.health import OFFLINE, controllers_health
from gatesync.models import ControllerSync
from gatesync.push import controller_push
from riders.models import GrantSource
from riders.services.grants import grant_request
from riders.tests.factories import RiderFactory, controller_meta
from tools.gatesim import client as sim_client
from tools.gatesim.controller import PushRefused, VirtualController

pytestmark = pytest.mark.django_db

HEARTBEAT = "/api/v1/gates/heartbeat"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # nonces of other tests
    yield
    cache.clear()


@pytest.fixture
def controller(gate):
    # Port 9 (discard): a push enqueued by a heartbeat fails at once.
    return GateControllerFactory(gate=gate, secret="v2-secret", endpoint="http://127.0.0.1:9/c/7")


def _grant(community):
    return grant_request(
        rider=RiderFactory(), community=community, source=GrantSource.PLATFORM, acting_user=None
    )


def _as_meta(headers: dict[str, str]) -> dict[str, str]:
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


def _beat(client, controller, payload, meta=None):
    body = json.dumps(payload).encode()
    meta = meta or controller_meta(controller, "POST", HEARTBEAT, body)
    return client.post(HEARTBEAT, body, content_type="application/json", **meta), body, meta


def _heartbeat_at_head(controller, **extra):
    version, digest, size = portal_digest(controller.gate.community_id)
    return {"version": version, "digest": digest, "size": size, "seq": 1, **extra}


def test_a_read_signed_for_the_controller_reflected_onto_the_pull_is_refused(
    client, controller, community
):
    _grant(community)
    # What the portal sends the controller for GET <endpoint>/v1/state, captured on the wire.
    captured = request_headers(controller, "GET", controller.endpoint + "/v1/state", b"")
    answer = client.get("/api/v1/gates/sync", {"since": "0"}, **_as_meta(captured))
    assert answer.status_code == 403
    assert answer.json()["code"] == "bad_signature"
    assert "entries" not in answer.json()


def test_a_push_reflected_onto_the_heartbeat_is_refused_and_records_nothing(
    client, controller, community
):
    _grant(community)
    _grant(community)
    doc = delta_document(controller_id=controller.pk, community_id=community.pk, from_version=1)
    body = json.dumps(doc, separators=(",", ":")).encode()
    captured = request_headers(controller, "POST", controller.endpoint + "/v1/delta", body)
    answer = client.post(HEARTBEAT, body, content_type="application/json", **_as_meta(captured))
    assert answer.status_code == 403 and answer.json()["code"] == "bad_signature"
    sync = ControllerSync.objects.filter(controller=controller).first()
    assert sync is None or (sync.last_heartbeat_at, sync.reported_version) == (None, None)


def test_a_replayed_heartbeat_is_refused_and_changes_nothing(client, controller, community):
    _grant(community)
    first, body, meta = _beat(client, controller, _heartbeat_at_head(controller, seq=10))
    assert first.status_code == 200, first.content
    sync = ControllerSync.objects.get(controller=controller)
    before = (sync.last_heartbeat_at, sync.reported_version, sync.clock_offset_seconds)
    again = client.post(HEARTBEAT, body, content_type="application/json", **meta)
    assert again.status_code == 403 and again.json()["code"] == "replayed"
    # Signed afresh but with an older sequence (a delayed or re-signed old heartbeat).
    older, _body, _meta = _beat(
        client, controller, _heartbeat_at_head(controller, seq=9, version=0)
    )
    assert older.status_code == 403 and older.json()["code"] == "stale_sequence"
    sync.refresh_from_db()
    assert (sync.last_heartbeat_at, sync.reported_version, sync.clock_offset_seconds) == before
    newer, _body, _meta = _beat(client, controller, _heartbeat_at_head(controller, seq=11))
    assert newer.status_code == 200


def test_an_older_snapshot_is_refused_by_the_controller_until_a_signed_reset(tmp_path):
    device = VirtualController(7, "v2-secret", tmp_path, "Asia/Shanghai")
    new = {"version": 12, "community": 3, "policy": {}, "keys": [], "entries": [[1, 2, 0, None]]}
    old = {**new, "version": 9, "entries": [[1, 2, 0, None], [5, 6, 0, None]]}
    device.apply_snapshot(new)
    with pytest.raises(PushRefused) as refused:
        device.apply_snapshot(old)  # a captured old snapshot: it would re-admit grant 5
    assert refused.value.status == 409 and refused.value.body["error"] == "rollback"
    assert device.version == 12 and 5 not in device.entries
    device.reset()
    assert device.apply_snapshot(old)["version"] == 9


def test_a_push_answered_with_another_digest_is_never_recorded_in_sync(
    controller, community, monkeypatch
):
    _grant(community)
    head = head_version(community.pk)

    class LyingDriver:
        holds_version = True

        def __init__(self, *args, **kwargs):
            pass

        def state(self):
            return {}

        def push_snapshot(self, doc):
            return PushResult(version=doc["version"], size=1, digest="0" * 64, bytes_sent=10)

        push_delta = push_snapshot

    monkeypatch.setattr("gatesync.push.driver_for", LyingDriver)
    with pytest.raises(Exception, match="digest"):
        controller_push(controller.pk)
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.needs_snapshot and sync.version_held == head and sync.confirmed_at is None
    health = controllers_health(controller_ids=[controller.pk])[0]
    assert not health.ok


def test_a_heartbeat_with_another_digest_at_the_head_asks_for_a_snapshot(
    client, controller, community
):
    _grant(community)
    head = head_version(community.pk)
    ControllerSync.objects.update_or_create(controller=controller, defaults={"version_held": head})
    answer, _body, _meta = _beat(
        client, controller, _heartbeat_at_head(controller, digest="f" * 64)
    )
    assert answer.status_code == 200 and answer.json()["action"] == "snapshot"
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.needs_snapshot
    assert not controllers_health(controller_ids=[controller.pk])[0].ok


@pytest.mark.parametrize("path", [HEARTBEAT, "/api/v1/gates/verify"])
@pytest.mark.parametrize("stamp", ["9" * 5000, "12abc", "1e9", "１２３", ""])
def test_a_huge_or_non_numeric_timestamp_is_malformed_not_a_500(client, controller, path, stamp):
    body = b'{"version": 0}'
    meta = controller_meta(controller, "POST", path, body)
    meta["HTTP_X_L100_TIMESTAMP"] = stamp
    answer = client.post(path, body, content_type="application/json", **meta)
    assert answer.status_code == 403
    assert answer.json()["code"] == "malformed"
    assert abs(answer.json()["server_time"] - time.time()) < 5


def test_refusals_say_why_with_the_portals_time(client, controller):
    body = b'{"version": 0}'
    cases = {
        "clock_skew": controller_meta(
            controller, "POST", HEARTBEAT, body, timestamp=int(time.time()) - 400
        ),
        "bad_signature": controller_meta(controller, "POST", HEARTBEAT, body, secret="wrong"),
        "unknown_controller": {
            **controller_meta(controller, "POST", HEARTBEAT, body),
            "HTTP_X_L100_CONTROLLER": "987654",
        },
        "protocol_v2_required": {
            k: v
            for k, v in controller_meta(controller, "POST", HEARTBEAT, body).items()
            if k != "HTTP_X_L100_NONCE"
        },
        "unsigned": {},
    }
    for code, meta in cases.items():
        answer = client.post(HEARTBEAT, body, content_type="application/json", **meta)
        assert (answer.status_code, answer.json()["code"]) == (403, code)
        assert isinstance(answer.json()["server_time"], int)


@pytest.mark.parametrize(("sunset_in_days", "status"), [(30, 200), (-1, 403)])
def test_a_v1_controller_works_until_the_stated_sunset_only(
    client, gate, monkeypatch, sunset_in_days, status
):
    from gatesync import auth
    from gatesync.auth import controller_sign

    sunset = dt.date.today() + dt.timedelta(days=sunset_in_days)
    monkeypatch.setattr(auth, "V1_SUNSET", sunset.isoformat())
    legacy = GateControllerFactory(
        gate=gate, secret="old", protocol=1, endpoint="http://127.0.0.1:9/"
    )
    body = b'{"version": 0}'
    stamp = int(time.time())
    answer = client.post(
        HEARTBEAT,
        body,
        content_type="application/json",
        HTTP_X_L100_CONTROLLER=str(legacy.pk),
        HTTP_X_L100_TIMESTAMP=str(stamp),
        HTTP_X_L100_SIGNATURE=controller_sign(secret="old", timestamp=stamp, body=body),
    )
    assert answer.status_code == status, answer.content
    if status == 403:
        assert answer.json()["code"] == "protocol_v2_required"


def test_a_controller_whose_heartbeats_stopped_is_offline_since_the_last(controller):
    last = timezone.now() - dt.timedelta(minutes=4)
    ControllerSync.objects.update_or_create(
        controller=controller, defaults={"version_held": 0, "last_heartbeat_at": last}
    )
    health = controllers_health(controller_ids=[controller.pk])[0]
    assert health.state == OFFLINE and health.offline_since == last


# The worked example of docs/gate-protocol.md §1 (fixed inputs, expected hex).
EXAMPLE = {
    "secret": "s3cret-example",
    "controller_id": 7,
    "method": "GET",
    "path": "/api/v1/gates/sync",
    "query": "since=1042&gate=north+door",
    "timestamp": 1764380000,
    "nonce": "q0Fz3V9cYk2xT8wLmN4pRg",
    "body": b"",
}
EXAMPLE_SIGNATURE = "de251165280c23ea2d869612cd8927b99f264f5810ff6e594ead5cecdd8d552c"


def test_the_worked_signature_example_of_the_doc_matches_both_implementations():
    from pathlib import Path

    portal = sign_v2(direction=TO_PORTAL, **EXAMPLE)
    message = [EXAMPLE[k] for k in ("controller_id", "method", "path", "query", "timestamp")]
    device = sim_client.signature_v2(
        EXAMPLE["secret"], TO_PORTAL, *message, EXAMPLE["nonce"], EXAMPLE["body"]
    )
    assert portal == device == EXAMPLE_SIGNATURE
    # The other direction signs the same request differently: a reflection never checks.
    assert sign_v2(direction=TO_CONTROLLER, **EXAMPLE) != portal
    doc = (Path(__file__).resolve().parents[2] / "docs" / "gate-protocol.md").read_text()
    assert EXAMPLE_SIGNATURE in doc


def test_a_controller_ahead_of_a_restored_portal_takes_the_new_epochs_list(
    client, controller, community, tmp_path
):
    from gatesync.documents import head_epoch, snapshot_document

    _grant(community)
    head = head_version(community.pk)
    epoch = head_epoch(community.pk)
    device = VirtualController(controller.pk, "v2-secret", tmp_path, "Asia/Shanghai")
    device.apply_snapshot({"epoch": epoch, "version": head + 50, "entries": []})
    # It reports a version above our head: our database was restored.
    ahead = _heartbeat_at_head(controller, version=head + 50, digest="0" * 64)
    answer, _body, _meta = _beat(client, controller, ahead)
    assert answer.json()["action"] == "snapshot"
    doc = snapshot_document(controller_id=controller.pk, community_id=community.pk)
    assert doc["epoch"] == epoch + 1 and doc["version"] == head
    assert device.apply_snapshot(doc)["version"] == head  # lower version, newer epoch
    stale = {**doc, "epoch": epoch, "version": head + 60}
    with pytest.raises(PushRefused):
        device.apply_snapshot(stale)  # an old epoch's list, however high its version


def test_the_list_carries_the_gates_rules_and_an_offline_controller_applies_them(
    controller, community, gate, tmp_path
):
    from gatesync.documents import snapshot_document

    grant = _grant(community)
    gate.open_to_riders = False
    gate.save()
    doc = snapshot_document(controller_id=controller.pk, community_id=community.pk, gate_id=gate.pk)
    assert doc["gate"] == gate.pk and doc["policy"]["tz"]
    assert doc["policy"]["gates"][str(gate.pk)] == {"riders": False, "hours": None}
    device = VirtualController(controller.pk, "v2-secret", tmp_path, "UTC")
    device.apply_snapshot(doc)
    from riders.services.keys import pass_token_issue

    assert device.decide(pass_token_issue(grant=grant), "in")["reason"] == "gate_closed_to_riders"
    assert device.decide(pass_token_issue(grant=grant), "out")["reason"] == "ok"
    # Hours across midnight, in the community's zone from the list (not the device's UTC).
    gate.open_to_riders = True
    gate.opens_at, gate.closes_at = dt.time(22, 0), dt.time(6, 0)
    gate.save()
    doc = snapshot_document(controller_id=controller.pk, community_id=community.pk, gate_id=gate.pk)
    assert doc["policy"]["gates"][str(gate.pk)]["hours"] == ["22:00", "06:00"]
    device.reset()
    device.apply_snapshot(doc)
    zone = ZoneInfo(doc["policy"]["tz"])
    tomorrow = dt.datetime.now(zone) + dt.timedelta(days=1)  # after the grant's start
    noon = tomorrow.replace(hour=12, minute=0).timestamp()
    night = tomorrow.replace(hour=23, minute=30).timestamp()
    early = (tomorrow + dt.timedelta(days=1)).replace(hour=5, minute=59).timestamp()

    def at(moment):
        token = pass_token_issue(grant=grant, now=dt.datetime.fromtimestamp(moment, dt.UTC))
        return device.decide(token, "in", now=moment)["reason"]

    assert (at(night), at(noon), at(early)) == ("ok", "outside_hours", "ok")


def test_an_event_dated_year_one_is_rejected_and_the_rest_kept(client, controller):
    import uuid

    good = {
        "event_id": str(uuid.uuid4()),
        "direction": "in",
        "decision": "deny",
        "reason": "malformed",
        "occurred_at": timezone.now().isoformat(),
    }
    ancient = {**good, "event_id": str(uuid.uuid4()), "occurred_at": "0001-01-01T00:00:00+00:00"}
    body = json.dumps({"events": [good, ancient]}).encode()
    path = "/api/v1/gates/events"
    meta = controller_meta(controller, "POST", path, body)
    answer = client.post(path, body, content_type="application/json", **meta)
    assert answer.status_code == 200, answer.content
    assert answer.json()["accepted"] == 1
    assert [r["index"] for r in answer.json()["rejected"]] == [1]


@pytest.mark.django_db
def test_a_controller_moves_forward_to_protocol_2_never_back_to_1(gate):
    endpoint = "http://8.8.8.8/"
    current = GateControllerFactory(gate=gate, protocol=2, endpoint=endpoint)
    current.protocol = 1
    with pytest.raises(ValidationError) as refused:
        current.full_clean()
    assert "protocol" in refused.value.message_dict
    new = GateControllerFactory.build(gate=gate, protocol=1, endpoint=endpoint)
    with pytest.raises(ValidationError):
        new.full_clean()
    # A controller that was on 1 before v2 may stay there until the sunset, and move on.
    legacy = GateControllerFactory(gate=gate, protocol=1, endpoint=endpoint)
    legacy.full_clean()
    legacy.protocol = 2
    legacy.full_clean()
