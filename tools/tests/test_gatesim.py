"""The gate simulator on its own, over real HTTP: pushes per protocol v1, the list kept
across restarts, offline decisions for every reason, events reported to a portal."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.procs import GateSim, free_port, wait_until
from tools.gatesim.controller import list_digest

SECRET = "sim-secret"
CID = 41
COMMUNITY = 5


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


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


def push(sim: GateSim, path: str, doc: dict, secret: str = SECRET) -> tuple[int, dict]:
    body = json.dumps(doc).encode()
    stamp = int(time.time())
    sig = hmac.new(secret.encode(), f"{stamp}\n".encode() + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"{sim.endpoint(CID)}{path}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-L100-Controller": str(CID),
            "X-L100-Timestamp": str(stamp),
            "X-L100-Signature": sig,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def snapshot(keys: Keys, entries, *, version=10, policy=None) -> dict:
    return {
        "protocol": 1,
        "type": "snapshot",
        "controller": CID,
        "community": COMMUNITY,
        "version": version,
        "policy": policy or {"entry": "registered", "rider_hours": None},
        "keys": [keys.jwk],
        "entries": entries,
    }


@pytest.fixture
def sim():
    sim = GateSim({CID: SECRET}, heartbeat=3600)
    sim.start()
    yield sim
    sim.stop()


def test_snapshot_then_delta_agree_with_the_protocols_digest(sim):
    keys = Keys()
    now = int(time.time())
    entries = [[1, 11, now - 10, None], [2, 12, now - 10, now + 3600]]
    status, answer = push(sim, "/v1/snapshot", snapshot(keys, entries))
    assert status == 200 and answer["version"] == 10 and answer["size"] == 2
    delta = {
        "protocol": 1,
        "type": "delta",
        "from_version": 10,
        "version": 12,
        "changes": [
            {"v": 11, "op": "del", "grant": 1},
            {"v": 12, "op": "put", "entry": [3, 13, now, None]},
        ],
    }
    status, answer = push(sim, "/v1/delta", delta)
    assert status == 200 and answer["version"] == 12
    expected = {2: [2, 12, now - 10, now + 3600], 3: [3, 13, now, None]}
    assert sim.state(CID)["digest"] == list_digest(
        expected, {"entry": "registered", "rider_hours": None}
    )
    # The same delta again changes nothing; a gap is refused with what it holds.
    assert push(sim, "/v1/delta", delta) == (200, answer)
    gap = {**delta, "from_version": 20, "version": 21}
    assert push(sim, "/v1/delta", gap) == (409, {"error": "version_mismatch", "version": 12})


def test_the_list_survives_a_restart(sim):
    keys = Keys()
    push(sim, "/v1/snapshot", snapshot(keys, [[7, 70, 0, None]], version=3))
    before = sim.state(CID)
    sim.stop()
    sim.start()
    after = sim.state(CID)
    assert (after["version"], after["digest"]) == (before["version"], before["digest"])


def test_badly_signed_or_stale_pushes_are_refused(sim):
    keys = Keys()
    status, _ = push(sim, "/v1/snapshot", snapshot(keys, []), secret="wrong")
    assert status == 401
    assert sim.state(CID)["version"] == 0


def test_offline_decisions_for_every_reason(sim):
    keys, stranger = Keys(), Keys("k-unknown")
    now = int(time.time())
    entries = [[1, 11, now - 10, None], [2, 12, now - 10, now - 1], [3, 13, now + 600, None]]
    push(sim, "/v1/snapshot", snapshot(keys, entries))

    def decide(token, direction="in"):
        return sim.scan(CID, token, direction)["reason"]

    good = keys.pass_for(1, 11)
    assert decide(good) == "ok"
    assert decide(good) == "replayed"
    assert decide(good, "out") == "ok"  # leaving is its own direction
    assert decide("not-a-pass") == "malformed"
    assert decide(keys.pass_for(1, 11, alg="HS256")) == "malformed"
    assert decide(stranger.pass_for(1, 11)) == "bad_signature"
    forged = good.rsplit(".", 1)[0] + "." + b64(b"\0" * 64)
    assert decide(forged) == "bad_signature"
    assert decide(keys.pass_for(1, 11, exp_in=-60)) == "expired"
    assert decide(keys.pass_for(1, 11, community=99)) == "other_community"
    assert decide(keys.pass_for(9, 11)) == "unknown_grant"
    assert decide(keys.pass_for(1, 12)) == "unknown_grant"  # someone else's grant
    assert decide(keys.pass_for(2, 12)) == "expired"  # its validity ended
    assert decide(keys.pass_for(3, 13)) == "expired"  # not yet valid
    push(
        sim,
        "/v1/delta",
        {
            "from_version": 10,
            "version": 11,
            "changes": [
                {"v": 11, "op": "policy", "policy": {"entry": "no_entry", "rider_hours": None}}
            ],
        },
    )
    assert decide(keys.pass_for(1, 11)) == "no_entry"
    assert decide(keys.pass_for(1, 11), "out") == "ok"
    # A one-minute window three hours from now in the simulator's time zone.
    shanghai = dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(hours=3)
    hour = shanghai.strftime("%H")
    push(
        sim,
        "/v1/delta",
        {
            "from_version": 11,
            "version": 12,
            "changes": [
                {
                    "v": 12,
                    "op": "policy",
                    "policy": {"entry": "open", "rider_hours": [f"{hour}:00", f"{hour}:01"]},
                }
            ],
        },
    )
    assert decide(keys.pass_for(1, 11)) == "outside_hours"


class FakePortal:
    """Records signed event batches; answers 503 while `down`."""

    def __init__(self) -> None:
        self.batches: list[dict] = []
        self.down = True
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers["X-L100-Timestamp"]
                expected = hmac.new(
                    SECRET.encode(), f"{stamp}\n".encode() + body, hashlib.sha256
                ).hexdigest()
                ok = hmac.compare_digest(expected, self.headers["X-L100-Signature"])
                if portal.down or not ok:
                    self.send_response(503 if ok else 403)
                    self.end_headers()
                    return
                doc = json.loads(body)
                if self.path == "/api/v1/gates/events":
                    portal.batches.append(doc)
                    answer = {"accepted": len(doc["events"]), "duplicates": 0, "rejected": []}
                else:
                    answer = {"head": 0, "server_time": int(time.time()), "action": "none"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def test_events_are_reported_signed_and_retried_until_accepted():
    portal = FakePortal()
    sim = GateSim(
        {CID: SECRET}, portal=portal.url, heartbeat=3600, extra=["--report-events", "0.2"]
    )
    sim.start()
    try:
        keys = Keys()
        push(sim, "/v1/snapshot", snapshot(keys, [[1, 11, 0, None]]))
        sim.scan(CID, keys.pass_for(1, 11))
        sim.scan(CID, "garbage")
        time.sleep(0.5)
        assert portal.batches == []  # the portal is down: nothing lost, kept for later
        portal.down = False
        wait_until(lambda: sum(len(b["events"]) for b in portal.batches) == 2, timeout=30)
        events = [e for b in portal.batches for e in b["events"]]
        assert [e["reason"] for e in events] == ["ok", "malformed"]
        assert events[0]["grant"] == 1 and events[1]["grant"] is None
        wait_until(lambda: sim.state(CID)["pending_events"] == 0, timeout=10)
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
        for ident in (1000, 1100, 1199):
            body = json.dumps({**snapshot(keys, [[1, 2, 0, None]]), "controller": ident}).encode()
            stamp = int(time.time())
            sig = hmac.new(
                SECRET.encode(), f"{stamp}\n".encode() + body, hashlib.sha256
            ).hexdigest()
            request = urllib.request.Request(
                f"{sim.endpoint(ident)}/v1/snapshot",
                data=body,
                headers={
                    "X-L100-Controller": str(ident),
                    "X-L100-Timestamp": str(stamp),
                    "X-L100-Signature": sig,
                    "Content-Type": "application/json",
                },
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert json.loads(response.read())["size"] == 1
        assert sim.state(1100)["version"] == 10 and sim.state(1001)["version"] == 0
    finally:
        sim.stop()
