"""The gate simulator on its own, over real HTTP: pushes per protocol v2, the list kept
across restarts, offline decisions for every reason, events and heartbeats reported to a
portal (a small signed fake here), a fleet in one process."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.procs import GateSim, free_port, wait_until
from tools.gatesim import client

SECRET = "sim-secret"
CID = 41
COMMUNITY = 5
OPEN_POLICY = {"entry": "registered", "rider_hours": None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def digest_of(text: str) -> str:
    """The §2 digest of a list written out by hand, for comparison with the simulator's."""
    return hashlib.sha256(text.encode()).hexdigest()


class Keys:
    def __init__(self, kid: str = "k1") -> None:
        self.kid = kid
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes_raw()
        self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": kid, "alg": "EdDSA"}

    def pass_for(self, grant, rider, *, community=COMMUNITY, exp_in=30, alg="EdDSA", nonce=None):
        header = b64(json.dumps({"alg": alg, "kid": self.kid, "typ": "l100pass"}).encode())
        now = int(time.time())
        claims = {
            "g": grant,
            "c": community,
            "r": rider,
            "iat": now,
            "exp": now + exp_in,
            "n": nonce or uuid.uuid4().hex[:12],
        }
        payload = b64(json.dumps(claims).encode())
        signature = self.private.sign(f"{header}.{payload}".encode())
        return f"{header}.{payload}.{b64(signature)}"


def push(sim: GateSim, path: str, doc: dict, secret: str = SECRET, cid: int = CID, **sign):
    """A signed POST to `<endpoint>/v1/<path>`; `sign` overrides headers' parts."""
    body = json.dumps(doc).encode()
    url = f"{sim.endpoint(cid)}{path}"
    headers = client.sign_v2(secret, cid, "POST", url, body, **sign)
    status, answer = client.request(url, body=body, headers=headers)
    if isinstance(answer, dict):
        answer.pop("server_time", None)  # in refusals: the controller's clock
    return status, answer


def snapshot(keys: Keys, entries, *, version=10, policy=None) -> dict:
    return {
        "protocol": 1,
        "type": "snapshot",
        "controller": CID,
        "community": COMMUNITY,
        "version": version,
        "policy": policy or OPEN_POLICY,
        "keys": [keys.jwk],
        "entries": entries,
    }


def delta(start: int, version: int, *changes: dict) -> dict:
    return {
        "protocol": 1,
        "type": "delta",
        "controller": CID,
        "community": COMMUNITY,
        "from_version": start,
        "version": version,
        "changes": list(changes),
    }


@pytest.fixture
def sim():
    sim = GateSim({CID: SECRET}, heartbeat=3600)
    sim.start()
    yield sim
    sim.stop()


def test_snapshot_then_delta_agree_with_the_protocols_digest(sim):
    keys = Keys()
    policy = {"entry": "registered", "rider_hours": ["07:00", "23:00"]}
    entries = [[2, 12, 1764300000, 1795836000], [1, 11, 1764300100, None]]
    status, answer = push(sim, "/v1/snapshot", snapshot(keys, entries, policy=policy))
    assert status == 200
    assert answer == {
        "version": 10,
        "size": 2,
        "digest": digest_of(
            "1,11,1764300100,\n2,12,1764300000,1795836000\npolicy:registered,07:00,23:00\n"
        ),
    }
    change = delta(
        10,
        12,
        {"v": 11, "op": "del", "grant": 1},
        {"v": 12, "op": "put", "entry": [10, 13, 1764380000, None]},
    )
    status, answer = push(sim, "/v1/delta", change)
    assert status == 200 and answer["version"] == 12 and answer["size"] == 2
    # Sorted by grant id as numbers (2 before 10), not as text.
    expected = digest_of(
        "2,12,1764300000,1795836000\n10,13,1764380000,\npolicy:registered,07:00,23:00\n"
    )
    state = client.state(sim.endpoint(CID))
    assert (state["version"], state["size"], state["digest"]) == (12, 2, expected)
    assert state["protocol"] == 2 and state["firmware"].startswith("gatesim")
    # The client's digest (used by the portal's tests and benches) says the same.
    assert (
        client.list_digest([[10, 13, 1764380000, None], [2, 12, 1764300000, 1795836000]], policy)
        == expected
    )
    # A policy and a key rotation in a delta; the policy is part of the digest, keys are not.
    status, answer = push(
        sim,
        "/v1/delta",
        delta(
            12,
            13,
            {"v": 13, "op": "policy", "policy": {"entry": "open", "rider_hours": None}},
            {"v": 13, "op": "keys", "keys": [Keys("k2").jwk]},
        ),
    )
    assert answer["digest"] == digest_of(
        "2,12,1764300000,1795836000\n10,13,1764380000,\npolicy:open,,\n"
    )


def test_deltas_twice_gaps_and_a_list_never_synced(sim):
    keys = Keys()
    change = delta(10, 11, {"v": 11, "op": "put", "entry": [3, 13, 0, None]})
    # Never synced (version 0): a delta cannot apply, the portal must send a snapshot.
    assert push(sim, "/v1/delta", change) == (409, {"error": "version_mismatch", "version": 0})
    push(sim, "/v1/snapshot", snapshot(keys, [[1, 11, 0, None]]))
    status, answer = push(sim, "/v1/delta", change)
    assert status == 200 and answer["size"] == 2
    # The same delta again changes nothing; a gap, or a delta behind, is refused.
    assert push(sim, "/v1/delta", change) == (200, answer)
    gap = delta(20, 21, {"v": 21, "op": "del", "grant": 1})
    assert push(sim, "/v1/delta", gap) == (409, {"error": "version_mismatch", "version": 11})
    behind = delta(9, 10, {"v": 10, "op": "del", "grant": 1})
    assert push(sim, "/v1/delta", behind) == (409, {"error": "version_mismatch", "version": 11})
    assert client.state(sim.endpoint(CID))["digest"] == answer["digest"]
    # v2: a snapshot with a lower version is refused (a replayed old list) until a
    # signed reset.
    older = snapshot(keys, [], version=4)
    refused = (409, {"error": "rollback", "version": 11, "epoch": 0})
    assert push(sim, "/v1/snapshot", older) == refused
    assert client.reset(sim.endpoint(CID), CID, SECRET)[0] == 200
    status, answer = push(sim, "/v1/snapshot", older)
    assert (status, answer["version"], answer["size"]) == (200, 4, 0)


def test_a_bad_document_changes_nothing(sim):
    keys = Keys()
    status, before = push(sim, "/v1/snapshot", snapshot(keys, [[1, 11, 0, None]]))
    # One bad change among good ones: none is applied.
    bad_delta = delta(
        10,
        12,
        {"v": 11, "op": "del", "grant": 1},
        {"v": 12, "op": "put", "entry": [2, "rider", 0, None]},
    )
    status, answer = push(sim, "/v1/delta", bad_delta)
    assert status == 400 and answer["error"] == "bad_document"
    bad_snapshot = snapshot(keys, [[5, 55, 0, None], [6, 66]], version=30)
    status, answer = push(sim, "/v1/snapshot", bad_snapshot)
    assert status == 400 and answer["error"] == "bad_document"
    state = client.state(sim.endpoint(CID))
    assert (state["version"], state["digest"]) == (10, before["digest"])


def test_the_list_survives_a_restart(sim):
    keys = Keys()
    push(sim, "/v1/snapshot", snapshot(keys, [[7, 70, 0, None]], version=3))
    push(sim, "/v1/delta", delta(3, 4, {"v": 4, "op": "put", "entry": [8, 80, 0, 99]}))
    before = client.state(sim.endpoint(CID))
    assert Path(sim.data_dir, f"{CID}.json").exists()
    sim.stop()
    sim.start()
    after = client.state(sim.endpoint(CID))
    assert (after["version"], after["size"], after["digest"]) == (4, 2, before["digest"])
    # The keys came back too: a pass still opens.
    assert client.scan(sim.endpoint(CID), keys.pass_for(7, 70))["reason"] == "ok"


def test_a_push_signed_before_a_restart_is_refused_after_it(sim):
    """Nonces are kept in memory: a reset and an old snapshot captured before the restart
    must not be replayed into a device that has forgotten them (the rollback guard holds
    only until a reset)."""
    keys = Keys()
    push(sim, "/v1/snapshot", snapshot(keys, [[7, 70, 0, None]], version=3))
    captured_reset = {"timestamp": int(time.time()), "nonce": "captured-reset-nonce-0001"}
    assert push(sim, "/v1/reset", {}, **captured_reset)[0] == 200
    push(sim, "/v1/snapshot", snapshot(keys, [], version=5))
    time.sleep(1.1)  # timestamps are whole seconds: the restart comes a second later
    sim.stop()
    sim.start()
    assert push(sim, "/v1/reset", {}, **captured_reset) == (401, {"error": "replayed"})
    assert client.state(sim.endpoint(CID))["version"] == 5
    # A request signed after the start is taken as before.
    assert push(sim, "/v1/delta", delta(5, 6, {"v": 6, "op": "del", "grant": 1}))[0] == 200


def test_a_list_of_50000_passes(sim):
    keys = Keys()
    entries = [[100 + i, 9000 + i, 1764300000, None if i % 3 else 1795836000] for i in range(50000)]
    status, answer = client.push(sim.endpoint(CID), CID, SECRET, snapshot(keys, entries))
    text = "".join(f"{g},{r},{f},{'' if u is None else u}\n" for g, r, f, u in entries)
    expected = digest_of(text + "policy:registered,,\n")
    assert (status, answer["size"], answer["digest"]) == (200, 50000, expected)
    # A delta for one change is small whatever the list's size.
    one = delta(10, 11, {"v": 11, "op": "del", "grant": 100})
    assert len(json.dumps(one)) < 2048
    status, answer = client.push(sim.endpoint(CID), CID, SECRET, one)
    assert (status, answer["size"]) == (200, 49999)
    sim.stop()
    sim.start()
    assert client.state(sim.endpoint(CID))["digest"] == answer["digest"]


def test_badly_signed_or_stale_requests_are_refused(sim):
    keys = Keys()
    refused = (401, {"error": "bad_signature"})
    skewed = (401, {"error": "clock_skew"})
    assert push(sim, "/v1/snapshot", snapshot(keys, []), secret="wrong") == refused
    stale = int(time.time()) - 400
    assert push(sim, "/v1/snapshot", snapshot(keys, []), timestamp=stale) == skewed
    future = int(time.time()) + 400
    assert push(sim, "/v1/snapshot", snapshot(keys, []), timestamp=future) == skewed

    def sent(url, body, headers):
        status, answer = client.request(url, body=body, headers=headers)
        return status, {k: v for k, v in (answer or {}).items() if k != "server_time"}

    # Signed with this controller's secret but saying it is for another controller.
    body = json.dumps(snapshot(keys, [])).encode()
    url = f"{sim.endpoint(CID)}/v1/snapshot"
    other = client.sign_v2(SECRET, CID + 1, "POST", url, body)
    assert sent(url, body, other) == refused
    # A body changed after signing.
    headers = client.sign_v2(SECRET, CID, "POST", url, body)
    tampered = body.replace(b'"version": 10', b'"version": 99')
    assert tampered != body
    assert sent(url, tampered, headers) == refused
    # Signed for another path (a delta's headers on the snapshot), or by the controller's
    # own key (a request to the portal reflected back), or v1: refused.
    assert sent(url, body, client.sign_v2(SECRET, CID, "POST", url[:-8] + "delta", body)) == refused
    reflected = client.sign_v2(SECRET, CID, "POST", url, body, direction=client.TO_PORTAL)
    assert sent(url, body, reflected) == refused
    assert sent(url, body, client.sign(SECRET, body, CID))[1] == {"error": "protocol_v2_required"}
    status, answer = client.reset(sim.endpoint(CID), CID, "wrong")
    assert (status, {"error": answer["error"]}) == refused
    # Reads: unsigned is fine (the page), signed must be signed right.
    assert client.state(sim.endpoint(CID))["version"] == 0
    assert client.state(sim.endpoint(CID), CID, SECRET)["version"] == 0
    with pytest.raises(RuntimeError, match="401"):
        client.state(sim.endpoint(CID), CID, "wrong")
    # Nothing refused was applied; the right signature is accepted.
    assert push(sim, "/v1/snapshot", snapshot(keys, []))[0] == 200


def test_factory_reset_forgets_the_list(sim):
    keys = Keys()
    push(sim, "/v1/snapshot", snapshot(keys, [[1, 11, 0, None]], version=8))
    status, answer = client.reset(sim.endpoint(CID), CID, SECRET)
    assert (status, answer["version"], answer["size"]) == (200, 0, 0)
    assert client.scan(sim.endpoint(CID), keys.pass_for(1, 11))["reason"] == "bad_signature"
    sim.stop()
    sim.start()
    assert client.state(sim.endpoint(CID))["version"] == 0


def test_offline_decisions_for_every_reason(sim):
    keys, stranger = Keys(), Keys("k-unknown")
    now = int(time.time())
    entries = [[1, 11, now - 10, None], [2, 12, now - 10, now - 1], [3, 13, now + 600, None]]
    push(sim, "/v1/snapshot", snapshot(keys, entries))

    def decide(token, direction="in"):
        return client.scan(sim.endpoint(CID), token, direction)["reason"]

    good = keys.pass_for(1, 11)
    assert decide(good) == "ok"
    assert decide(good) == "replayed"
    assert decide(good, "out") == "ok"  # leaving is its own direction
    assert decide(good, "out") == "replayed"
    assert decide("not-a-pass") == "malformed"
    assert decide("a.b.c") == "malformed"
    assert decide(keys.pass_for(1, 11, alg="HS256")) == "malformed"
    assert decide(keys.pass_for(1, 11, alg="none")) == "malformed"
    assert decide(stranger.pass_for(1, 11)) == "bad_signature"
    forged = good.rsplit(".", 1)[0] + "." + b64(b"\0" * 64)
    assert decide(forged) == "bad_signature"
    header, payload, signature = keys.pass_for(1, 11).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    other_rider = b64(json.dumps({**claims, "r": 12}).encode())
    assert decide(f"{header}.{other_rider}.{signature}") == "bad_signature"
    assert decide(keys.pass_for(1, 11, exp_in=-60)) == "expired"
    assert decide(keys.pass_for(1, 11, exp_in=-2)) == "ok"  # within the 5 s leeway
    assert decide(keys.pass_for(1, 11, community=99)) == "other_community"
    assert decide(keys.pass_for(9, 11)) == "unknown_grant"
    assert decide(keys.pass_for(1, 12)) == "unknown_grant"  # someone else's grant
    assert decide(keys.pass_for(2, 12)) == "expired"  # its validity ended
    assert decide(keys.pass_for(3, 13)) == "expired"  # not yet valid
    no_entry = {"entry": "no_entry", "rider_hours": None}
    push(sim, "/v1/delta", delta(10, 11, {"v": 11, "op": "policy", "policy": no_entry}))
    assert decide(keys.pass_for(1, 11)) == "no_entry"
    assert decide(keys.pass_for(1, 11), "out") == "ok"  # leaving is always allowed
    # A one-minute window three hours from now in the simulator's time zone, then a window
    # passing midnight that holds now.
    local = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    later = (local + dt.timedelta(hours=3)).strftime("%H")
    hours = {"entry": "open", "rider_hours": [f"{later}:00", f"{later}:01"]}
    push(sim, "/v1/delta", delta(11, 12, {"v": 12, "op": "policy", "policy": hours}))
    assert decide(keys.pass_for(1, 11)) == "outside_hours"
    assert decide(keys.pass_for(1, 11), "out") == "ok"
    start = (local - dt.timedelta(hours=1)).strftime("%H:%M")
    end = (local - dt.timedelta(hours=2)).strftime("%H:%M")  # 22 hours long, over midnight
    hours = {"entry": "open", "rider_hours": [start, end]}
    push(sim, "/v1/delta", delta(12, 13, {"v": 13, "op": "policy", "policy": hours}))
    assert decide(keys.pass_for(1, 11)) == "ok"
    # The pass-signing key rotated away: the old key's passes are no longer genuine.
    push(sim, "/v1/delta", delta(13, 14, {"v": 14, "op": "keys", "keys": [stranger.jwk]}))
    assert decide(keys.pass_for(1, 11)) == "bad_signature"
    assert decide(stranger.pass_for(1, 11)) == "ok"


def test_the_pages(sim):
    keys = Keys()
    push(sim, "/v1/snapshot", snapshot(keys, [[1, 11, 0, None]]))
    with urllib.request.urlopen(f"{sim.endpoint(CID)}/", timeout=5) as response:
        page = response.read().decode()
    assert response.headers["Content-Type"].startswith("text/html")
    for text in ('<label for="token">', '<label for="direction">', 'name="viewport"', "#41"):
        assert text in page
    assert "http://" not in page and "https://" not in page  # no external assets
    form = urlencode({"token": keys.pass_for(1, 11), "direction": "in"}).encode()
    with urllib.request.urlopen(f"{sim.endpoint(CID)}/scan", data=form, timeout=5) as response:
        page = response.read().decode()
    assert "OPEN" in page and "Pass valid" in page
    form = urlencode({"token": "<script>alert(1)</script>", "direction": "out"}).encode()
    with urllib.request.urlopen(f"{sim.endpoint(CID)}/scan", data=form, timeout=5) as response:
        page = response.read().decode()
    assert "DENIED" in page and "Not a pass" in page and "<script>" not in page
    assert page.count("<tr>") == 3  # header and the two scans among the recent events
    # A form asking for JSON gets JSON; a direction that is neither in nor out is refused.
    form = urlencode({"token": "x", "direction": "out"}).encode()
    status, event = client.request(
        f"{sim.endpoint(CID)}/scan", body=form, headers={"Accept": "application/json"}
    )
    assert (status, event["reason"], event["direction"]) == (200, "malformed", "out")
    form = urlencode({"token": "x", "direction": "sideways"}).encode()
    assert client.request(f"{sim.endpoint(CID)}/scan", body=form)[0] == 400
    with urllib.request.urlopen(f"http://127.0.0.1:{sim.port}/", timeout=5) as response:
        assert f'href="/c/{CID}/"' in response.read().decode()


class FakePortal:
    """Records signed event batches and heartbeats; answers 503 while `down`; refuses
    (401) a controller it does not know or a bad signature, and counts those."""

    def __init__(self, secrets: dict[int, str]) -> None:
        self.batches: dict[int, list[dict]] = {}
        self.heartbeats: list[tuple[int, dict]] = []
        self.refused = 0
        self.down = True
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, doc):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if portal.down:
                    return self._answer(503, {"error": "down"})
                cid = int(self.headers["X-L100-Controller"])
                stamp = self.headers["X-L100-Timestamp"]
                secret = secrets.get(cid, "")
                expected = client.signature_v2(
                    secret,
                    client.TO_PORTAL,
                    cid,
                    "POST",
                    self.path,
                    "",
                    stamp,
                    self.headers.get("X-L100-Nonce", ""),
                    body,
                )
                fresh = abs(time.time() - int(stamp)) <= 300
                if not (
                    secret
                    and fresh
                    and hmac.compare_digest(expected, self.headers["X-L100-Signature"])
                ):
                    portal.refused += 1
                    return self._answer(401, {"error": "bad_signature"})
                doc = json.loads(body)
                if self.path == "/api/v1/gates/events":
                    portal.batches.setdefault(cid, []).append(doc)
                    answer = {"accepted": len(doc["events"]), "duplicates": 0, "rejected": []}
                    return self._answer(200, answer)
                if self.path == "/api/v1/gates/heartbeat":
                    portal.heartbeats.append((cid, doc))
                    return self._answer(200, {"head": 0, "server_time": 0, "action": "none"})
                return self._answer(404, {"error": "not_found"})

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def events(self, cid: int) -> list[dict]:
        return [e for batch in self.batches.get(cid, []) for e in batch["events"]]


def test_events_are_reported_signed_and_retried_until_accepted():
    stranger = 77  # a controller the portal does not know: refused, and holds up no one
    portal = FakePortal({CID: SECRET})
    sim = GateSim(
        {stranger: "unknown", CID: SECRET},  # the stranger is tried first
        portal=portal.url,
        heartbeat=3600,
        extra=["--report-events", "0.2"],
    )
    sim.start()
    try:
        keys = Keys()
        push(sim, "/v1/snapshot", snapshot(keys, [[1, 11, 0, None]]))
        client.scan(sim.endpoint(stranger), "garbage")
        client.scan(sim.endpoint(CID), keys.pass_for(1, 11))
        time.sleep(0.6)
        assert portal.batches == {}  # the portal is down: nothing lost, kept for later
        # The simulator restarts while it owes them: the owed events are in its files.
        sim.stop()
        assert len(json.loads(Path(sim.data_dir, f"{CID}.events.json").read_text())) == 1
        sim.start()
        with urllib.request.urlopen(f"{sim.endpoint(CID)}/", timeout=5) as response:
            assert "Pass valid" in response.read().decode()  # the owed event is on the page
        client.scan(sim.endpoint(CID), "garbage", "out")
        portal.down = False
        wait_until(lambda: len(portal.events(CID)) == 2, timeout=30)
        events = portal.events(CID)
        assert [(e["reason"], e["direction"]) for e in events] == [
            ("ok", "in"),
            ("malformed", "out"),
        ]
        assert events[0]["grant"] == 1 and events[0]["rider"] == 11 and events[1]["grant"] is None
        assert len({e["event_id"] for e in events}) == 2
        # How long each offline decision took, in whole milliseconds (protocol §4).
        assert all(
            isinstance(e["decision_ms"], int) and 0 <= e["decision_ms"] <= 60_000 for e in events
        )
        assert dt.datetime.fromisoformat(events[0]["occurred_at"]).utcoffset() == dt.timedelta(
            hours=8
        )
        wait_until(lambda: client.state(sim.endpoint(CID))["pending_events"] == 0, timeout=10)
        assert portal.refused >= 1  # the stranger tried and was refused …
        assert client.state(sim.endpoint(stranger))["pending_events"] == 1  # … and still owes
    finally:
        sim.stop()
        portal.server.shutdown()


def test_heartbeats_are_signed_and_carry_the_state():
    portal = FakePortal({CID: SECRET})
    portal.down = False
    sim = GateSim({CID: SECRET}, portal=portal.url, heartbeat=0.3)
    sim.start()
    try:
        keys = Keys()
        status, answer = push(sim, "/v1/snapshot", snapshot(keys, [[1, 11, 0, None]], version=6))

        def beat_with_version_6():
            return [doc for cid, doc in portal.heartbeats if cid == CID and doc["version"] == 6]

        doc = wait_until(beat_with_version_6, timeout=30)[-1]
        assert doc["digest"] == answer["digest"] and doc["size"] == 1
        assert doc["firmware"].startswith("gatesim") and abs(doc["clock"] - time.time()) < 300
        assert portal.refused == 0
    finally:
        sim.stop()
        portal.server.shutdown()


def test_one_process_hosts_a_fleet():
    sim = GateSim(
        {},
        heartbeat=3600,
        extra=["--fleet", "200", "--fleet-first-id", "1000", "--fleet-secret", SECRET],
    )
    sim.controllers = {1000 + i: SECRET for i in range(200)}
    sim.start()
    try:
        keys = Keys()

        def push_to(ident):
            doc = {**snapshot(keys, [[ident, 2, 0, None]]), "controller": ident}
            return client.push(sim.endpoint(ident), ident, SECRET, doc)[0]

        # Pushed to by many at once, as a pool of workers does (no connection reset).
        with ThreadPoolExecutor(64) as pool:
            statuses = list(pool.map(push_to, range(1000, 1200)))
        assert statuses == [200] * 200
        for ident in (1000, 1100, 1199):
            state = client.state(sim.endpoint(ident))
            assert state["digest"] == digest_of(f"{ident},2,0,\npolicy:registered,,\n")
        assert client.request(f"{sim.endpoint(1200)}/v1/state")[0] == 404
    finally:
        sim.stop()


def test_the_measuring_script_runs(capsys):
    from tools.gatesim import measure

    assert (
        measure.main(["--entries", "300", "--rounds", "2", "--fleet", "5", "--workers", "2"]) == 0
    )
    table = capsys.readouterr().out
    assert "snapshot of 300 passes" in table and "(0 not 200)" in table
    assert table.count("\n| ") == 7


@pytest.mark.browser
def test_the_gate_page_on_a_phone(sim, phone_page):
    keys = Keys()
    push(sim, "/v1/snapshot", snapshot(keys, [[1, 11, 0, None]]))
    page = phone_page
    page.goto(f"{sim.endpoint(CID)}/")
    # By its label, as a screen reader or a guard with a keyboard would find it.
    page.get_by_label("Scanned pass code").fill(keys.pass_for(1, 11))
    page.get_by_label("Direction").select_option("in")
    page.get_by_role("button", name="Verify").press("Enter")
    verdict = page.get_by_role("status")
    assert "OPEN" in verdict.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    box = verdict.bounding_box()
    assert box and box["width"] >= 300 and box["height"] >= 80  # big enough to read at a gate
    page.get_by_label("Scanned pass code").fill("not a pass")
    page.get_by_role("button", name="Verify").click()
    assert "DENIED" in page.get_by_role("status").inner_text()
    assert page.locator("tbody tr").count() == 2
