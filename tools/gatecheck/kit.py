"""The checks of the conformance kit: what docs/gate-protocol.md says a controller must do.

The kit plays the portal. It pushes signed documents to the device, checks its answers and
state, presents passes it signs with its own keys at the device's scan hook, and (with a
listener) receives the device's heartbeats and events as the portal would.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tools.gatesim import client

REASONS = {
    "ok",
    "expired",
    "bad_signature",
    "malformed",
    "other_community",
    "unknown_grant",
    "no_entry",
    "outside_hours",
    "replayed",
    "gate_closed_to_riders",
}
COMMUNITY = 900_001
OTHER_COMMUNITY = 900_002
GATE = 4242


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PassKey:
    """An Ed25519 pass-signing key of the kit's pretend portal."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes_raw()
        self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": kid, "alg": "EdDSA"}

    def issue(self, grant: int, rider: int, *, community: int = COMMUNITY, exp_in: int = 30) -> str:
        now = int(time.time())
        header = _b64(json.dumps({"alg": "EdDSA", "kid": self.kid, "typ": "l100pass"}).encode())
        claims = {
            "g": grant,
            "c": community,
            "r": rider,
            "iat": now,
            "exp": now + exp_in,
            "n": uuid.uuid4().hex[:16],
        }
        payload = _b64(json.dumps(claims).encode())
        signature = self.private.sign(f"{header}.{payload}".encode())
        return f"{header}.{payload}.{_b64(signature)}"


@dataclass
class Result:
    name: str
    ok: bool | None  # None: not run
    detail: str = ""


class Listener:
    """The portal's side of §4 for the device to report to: records signed heartbeats and
    event batches, refuses (403 with a code) what is not signed right."""

    def __init__(self, controller_id: int, secret: str, host: str = "127.0.0.1", port: int = 0):
        self.controller_id, self.secret = controller_id, secret
        self.heartbeats: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.nonces: set[str] = set()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, doc: Any) -> None:
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                code = listener.check_signature(self, body)
                if code:
                    listener.problems.append(f"{self.path}: {code}")
                    return self._answer(403, {"code": code, "server_time": int(time.time())})
                try:
                    doc = json.loads(body)
                except ValueError:
                    listener.problems.append(f"{self.path}: body is not JSON")
                    return self._answer(400, {"detail": "not JSON"})
                if self.path.endswith("/api/v1/gates/heartbeat"):
                    listener.heartbeats.append(doc)
                    answer = {"head": doc.get("version"), "server_time": int(time.time())}
                    return self._answer(200, {**answer, "action": "none"})
                if self.path.endswith("/api/v1/gates/events"):
                    events = doc.get("events") if isinstance(doc, dict) else None
                    if not isinstance(events, list):
                        listener.problems.append("events: no events list")
                        return self._answer(400, {"detail": "events"})
                    listener.events.extend(events)
                    return self._answer(
                        200, {"accepted": len(events), "duplicates": 0, "rejected": []}
                    )
                return self._answer(404, {"detail": "not found"})

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def check_signature(self, request: BaseHTTPRequestHandler, body: bytes) -> str:
        headers = request.headers
        nonce = headers.get("X-L100-Nonce") or ""
        stamp = headers.get("X-L100-Timestamp") or ""
        if headers.get("X-L100-Controller") != str(self.controller_id):
            return "unknown_controller"
        if not (stamp.isdigit() and len(stamp) <= 12) or not 16 <= len(nonce) <= 64:
            return "malformed"
        if abs(time.time() - int(stamp)) > 300:
            return "clock_skew"
        path, _sep, query = request.path.partition("?")
        expected = client.signature_v2(
            self.secret,
            client.TO_PORTAL,
            self.controller_id,
            request.command,
            path,
            query,
            stamp,
            nonce,
            body,
        )
        if expected != (headers.get("X-L100-Signature") or "").lower():
            return "bad_signature"
        if nonce in self.nonces:
            return "replayed"
        self.nonces.add(nonce)
        return ""

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Kit:
    def __init__(
        self,
        url: str,
        controller_id: int,
        secret: str,
        *,
        scan_url: str | None = None,
        listener: Listener | None = None,
        tz: str = "Asia/Shanghai",
        wait: float = 15,
    ) -> None:
        self.url = url.rstrip("/")
        self.id = controller_id
        self.secret = secret
        self.scan_url = scan_url or f"{self.url}/scan"
        self.listener = listener
        self.tz = ZoneInfo(tz)
        self.tz_name = tz
        self.wait = wait
        self.results: list[Result] = []
        self.key = PassKey("gatecheck-1")
        self.next_key = PassKey("gatecheck-2")
        self.stranger_key = PassKey("gatecheck-unknown")
        self.version = 0
        self.epoch = 1
        self.decisions: list[dict[str, Any]] = []

    # --- talking to the device -----------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        doc: Any = None,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, Any, bytes, dict[str, str]]:
        url = self.url + path
        if body is None:
            body = b"" if doc is None else json.dumps(doc, separators=(",", ":")).encode()
        headers = headers or client.sign_v2(self.secret, self.id, method, url, body)
        status, answer = client.request(
            url, body=body if method == "POST" else None, headers=headers
        )
        return status, answer, body, headers

    def state(self) -> dict[str, Any]:
        status, answer, _b, _h = self._send("GET", "/v1/state")
        if status != 200 or not isinstance(answer, dict):
            raise AssertionError(f"signed GET /v1/state answered {status}: {answer!r:.200}")
        return answer

    def scan(self, token: str, direction: str = "in") -> dict[str, Any]:
        body = json.dumps({"token": token, "direction": direction}).encode()
        status, answer = client.request(
            self.scan_url,
            body=body,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if status != 200 or not isinstance(answer, dict):
            raise AssertionError(f"scan hook answered {status}: {answer!r:.200}")
        self.decisions.append(answer)
        return answer

    # --- the list the kit pushes ------------------------------------------------------------

    def local_hhmm(self, shift_minutes: int) -> str:
        moment = dt.datetime.now(self.tz) + dt.timedelta(minutes=shift_minutes)
        return moment.strftime("%H:%M")

    def policy(self, **gate: Any) -> dict[str, Any]:
        return {
            "entry": "registered",
            "rider_hours": None,
            "tz": self.tz_name,
            "gates": {str(GATE): {"riders": True, "hours": None, **gate}},
        }

    def snapshot(self, entries: list[list[Any]], *, version: int, epoch: int | None = None):
        return {
            "protocol": 2,
            "type": "snapshot",
            "controller": self.id,
            "community": COMMUNITY,
            "gate": GATE,
            "epoch": self.epoch if epoch is None else epoch,
            "version": version,
            "policy": self.policy(),
            "keys": [self.key.jwk],
            "entries": entries,
        }

    def delta(self, start: int, version: int, *changes: dict[str, Any]) -> dict[str, Any]:
        return {
            "protocol": 2,
            "type": "delta",
            "controller": self.id,
            "community": COMMUNITY,
            "from_version": start,
            "version": version,
            "changes": list(changes),
        }

    # --- running ------------------------------------------------------------------------------

    def check(self, name: str, test: Callable[[], None]) -> bool:
        try:
            test()
        except AssertionError as failure:
            self.results.append(Result(name, False, str(failure)[:300]))
            return False
        except Exception as error:  # noqa: BLE001 - a device's bug is a failed check
            self.results.append(Result(name, False, f"{type(error).__name__}: {error}"[:300]))
            return False
        self.results.append(Result(name, True))
        return True

    def skip(self, name: str, why: str) -> None:
        self.results.append(Result(name, None, why))

    def run(self) -> list[Result]:
        now = int(time.time())
        entries = [
            [1, 11, now - 3600, None],
            [2, 12, now - 3600, now - 60],
            [3, 13, now - 3600, None],
        ]
        self.check("signed state read answered", self._state_read)
        self.check("signed reset accepted", self._reset)
        self.check("signed snapshot applied, digest right", lambda: self._snapshot(entries))
        self.check("forged push refused (wrong secret)", self._forged)
        self.check("stale push refused (timestamp 400 s old)", self._stale)
        self.check("push signed for another path refused", self._other_path)
        self.check("reflected push refused (controller->portal key)", self._reflected)
        self.check("v1-signed push refused", self._v1)
        self.check("signed delta applied, digest right", self._delta)
        self.check("replayed push refused", self._replayed)
        self.check("delta with a gap answered 409 version_mismatch", self._gap)
        self.check("rolled-back snapshot refused (409 rollback)", self._rollback)
        self._offline_checks()
        self._reports()
        return self.results

    # --- pushes ------------------------------------------------------------------------------

    def _state_read(self) -> None:
        state = self.state()
        for name in ("version", "digest", "size"):
            assert name in state, f"state lacks {name}: {state!r:.200}"

    def _reset(self) -> None:
        status, answer, _b, _h = self._send("POST", "/v1/reset", {})
        assert status == 200, f"reset answered {status}: {answer!r:.200}"
        assert self.state()["version"] == 0, "version after a reset is not 0"

    def _snapshot(self, entries: list[list[Any]]) -> None:
        self.entries = {e[0]: e for e in entries}
        self.version = 10
        doc = self.snapshot(entries, version=self.version)
        status, answer, _b, _h = self._send("POST", "/v1/snapshot", doc)
        assert status == 200, f"snapshot answered {status}: {answer!r:.200}"
        self._agrees(answer)

    def _agrees(self, answer: Any) -> None:
        expected = client.list_digest(self.entries, self.policy())
        assert isinstance(answer, dict), f"answer is not an object: {answer!r:.200}"
        assert answer.get("version") == self.version, f"version {answer.get('version')}"
        assert answer.get("digest") == expected, "digest differs from §2"
        state = self.state()
        assert (state.get("version"), state.get("digest")) == (self.version, expected), (
            f"state {state.get('version')}/{state.get('digest')}"
        )

    def _refused(self, status: int, answer: Any, code: str | None = None) -> None:
        assert status in (401, 403), f"answered {status}, not a refusal: {answer!r:.200}"
        if code is not None and isinstance(answer, dict) and "error" in answer:
            assert answer["error"] == code, f"refusal code {answer['error']!r}, expected {code!r}"
        assert self.state()["version"] == self.version, "a refused push changed the list"

    def _next_delta(self) -> dict[str, Any]:
        return self.delta(
            self.version, self.version + 1, {"v": self.version + 1, "op": "del", "grant": 999}
        )

    def _forged(self) -> None:
        doc = self._next_delta()
        body = json.dumps(doc).encode()
        headers = client.sign_v2("not-the-secret", self.id, "POST", self.url + "/v1/delta", body)
        status, answer, _b, _h = self._send("POST", "/v1/delta", headers=headers, body=body)
        self._refused(status, answer, "bad_signature")

    def _stale(self) -> None:
        body = json.dumps(self._next_delta()).encode()
        stamp = int(time.time()) - 400
        headers = client.sign_v2(
            self.secret, self.id, "POST", self.url + "/v1/delta", body, timestamp=stamp
        )
        status, answer, _b, _h = self._send("POST", "/v1/delta", headers=headers, body=body)
        self._refused(status, answer, "clock_skew")

    def _other_path(self) -> None:
        body = json.dumps(self._next_delta()).encode()
        headers = client.sign_v2(self.secret, self.id, "POST", self.url + "/v1/snapshot", body)
        status, answer, _b, _h = self._send("POST", "/v1/delta", headers=headers, body=body)
        self._refused(status, answer, "bad_signature")

    def _reflected(self) -> None:
        body = json.dumps(self._next_delta()).encode()
        headers = client.sign_v2(
            self.secret, self.id, "POST", self.url + "/v1/delta", body, direction=client.TO_PORTAL
        )
        status, answer, _b, _h = self._send("POST", "/v1/delta", headers=headers, body=body)
        self._refused(status, answer, "bad_signature")

    def _v1(self) -> None:
        body = json.dumps(self._next_delta()).encode()
        headers = client.sign(self.secret, body, self.id)
        status, answer, _b, _h = self._send("POST", "/v1/delta", headers=headers, body=body)
        self._refused(status, answer)

    def _delta(self) -> None:
        doc = self.delta(
            self.version,
            self.version + 2,
            {"v": self.version + 1, "op": "put", "entry": [4, 14, int(time.time()) - 3600, None]},
            {"v": self.version + 2, "op": "del", "grant": 3},
        )
        status, answer, body, headers = self._send("POST", "/v1/delta", doc)
        assert status == 200, f"delta answered {status}: {answer!r:.200}"
        self.entries[4] = [4, 14, doc["changes"][0]["entry"][2], None]
        self.entries.pop(3)
        self.version += 2
        self._agrees(answer)
        self._last_push = (body, headers)

    def _replayed(self) -> None:
        body, headers = self._last_push
        status, answer, _b, _h = self._send("POST", "/v1/delta", headers=headers, body=body)
        self._refused(status, answer, "replayed")

    def _gap(self) -> None:
        doc = self.delta(
            self.version + 5, self.version + 6, {"v": self.version + 6, "op": "del", "grant": 1}
        )
        status, answer, _b, _h = self._send("POST", "/v1/delta", doc)
        assert status == 409, f"a gap answered {status}: {answer!r:.200}"
        assert isinstance(answer, dict) and answer.get("error") == "version_mismatch"
        assert answer.get("version") == self.version, f"409 says {answer.get('version')}"

    def _rollback(self) -> None:
        # An older list that still lists grant 3 (removed since): it must not come back.
        older = self.snapshot([[3, 13, int(time.time()) - 3600, None]], version=self.version - 1)
        status, answer, _b, _h = self._send("POST", "/v1/snapshot", older)
        assert status == 409, f"an older snapshot answered {status}: {answer!r:.200}"
        assert isinstance(answer, dict) and answer.get("error") == "rollback"
        assert self.state()["version"] == self.version, "the older snapshot was applied"

    # --- offline decisions (§5) ---------------------------------------------------------------

    def _expect(self, token: str, reason: str, direction: str = "in") -> None:
        event = self.scan(token, direction)
        decision = "open" if reason == "ok" else "deny"
        got = (event.get("decision"), event.get("reason"))
        assert got == (decision, reason), f"decided {got}, expected {(decision, reason)}"

    def _push_policy(self, **gate: Any) -> None:
        change = {"v": self.version + 1, "op": "policy", "policy": self.policy(**gate)}
        status, answer, _b, _h = self._send(
            "POST", "/v1/delta", self.delta(self.version, self.version + 1, change)
        )
        assert status == 200, f"policy delta answered {status}: {answer!r:.200}"
        self.version += 1

    def _offline_checks(self) -> None:
        key = self.key
        self.check("offline: a valid pass opens", lambda: self._expect(key.issue(1, 11), "ok"))
        self.check(
            "offline: an expired pass is denied",
            lambda: self._expect(key.issue(1, 11, exp_in=-60), "expired"),
        )

        def replayed() -> None:
            token = key.issue(1, 11)
            self._expect(token, "ok")
            self._expect(token, "replayed")

        self.check("offline: a pass shown twice is denied the second time", replayed)
        self.check(
            "offline: a pass of another community is denied",
            lambda: self._expect(key.issue(1, 11, community=OTHER_COMMUNITY), "other_community"),
        )
        self.check(
            "offline: a grant whose validity ended is denied",
            lambda: self._expect(key.issue(2, 12), "expired"),
        )
        self.check(
            "offline: a revoked grant (removed by a delta) is denied",
            lambda: self._expect(key.issue(3, 13), "unknown_grant"),
        )
        self.check(
            "offline: a pass signed by an unknown key is denied",
            lambda: self._expect(self.stranger_key.issue(1, 11), "bad_signature"),
        )

        def closed_gate() -> None:
            self._push_policy(riders=False)
            self._expect(key.issue(1, 11), "gate_closed_to_riders")
            self._expect(key.issue(1, 11), "ok", direction="out")

        self.check("offline: a gate closed to riders denies entry, lets out", closed_gate)

        def across_midnight() -> None:
            # Hours that pass midnight for most of the day and leave out the present hour…
            self._push_policy(hours=[self.local_hhmm(60), self.local_hhmm(-60)])
            self._expect(key.issue(1, 11), "outside_hours")
            # … and hours that pass midnight and include it.
            self._push_policy(hours=[self.local_hhmm(-60), self.local_hhmm(-120)])
            self._expect(key.issue(1, 11), "ok")
            self._push_policy()

        self.check("offline: gate hours across midnight, in the list's time zone", across_midnight)

        def rotation() -> None:
            both = [self.key.jwk, self.next_key.jwk]
            change = {"v": self.version + 1, "op": "keys", "keys": both}
            doc = self.delta(self.version, self.version + 1, change)
            status, _a, _b, _h = self._send("POST", "/v1/delta", doc)
            assert status == 200, f"keys delta answered {status}"
            self.version += 1
            self._expect(self.next_key.issue(1, 11), "ok")  # the next key, published first
            self._expect(self.key.issue(1, 11), "ok")  # the old one still in the set
            change = {"v": self.version + 1, "op": "keys", "keys": [self.next_key.jwk]}
            status, _a, _b, _h = self._send(
                "POST", "/v1/delta", self.delta(self.version, self.version + 1, change)
            )
            assert status == 200, f"keys delta answered {status}"
            self.version += 1
            self._expect(self.key.issue(1, 11), "bad_signature")  # retired: gone

        self.check("offline: key rotation (next key published, old key retired)", rotation)

    # --- what the device reports (§4) ---------------------------------------------------------

    def _reports(self) -> None:
        if self.listener is None:
            self.skip("heartbeats signed and well-formed", "no --listen")
            self.skip("events signed and well-formed", "no --listen")
            return
        listener = self.listener

        def heartbeats() -> None:
            deadline = time.monotonic() + self.wait
            expected = client.list_digest(self.entries, self.policy())
            while time.monotonic() < deadline:
                if [b for b in listener.heartbeats if b.get("version") == self.version]:
                    break
                time.sleep(0.2)
            beats = listener.heartbeats
            assert beats, "no heartbeat received"
            for beat in beats:
                for name, kind in (("version", int), ("seq", int), ("digest", str)):
                    assert isinstance(beat.get(name), kind), f"heartbeat {name}: {beat!r:.200}"
            seqs = [b["seq"] for b in beats]
            assert seqs == sorted(set(seqs)), f"sequences not increasing: {seqs[:10]}"
            latest = [b for b in beats if b["version"] == self.version]
            assert latest, f"no heartbeat reported version {self.version}"
            assert latest[-1]["digest"] == expected, "heartbeat digest differs from §2"

        def events() -> None:
            deadline = time.monotonic() + self.wait
            wanted = {d.get("event_id") for d in self.decisions}
            while time.monotonic() < deadline:
                if wanted <= {e.get("event_id") for e in listener.events}:
                    break
                time.sleep(0.2)
            got = {e.get("event_id"): e for e in listener.events}
            missing = wanted - set(got)
            assert not missing, f"{len(missing)} of {len(wanted)} decisions not reported"
            for event in listener.events:
                _event_ok(event)

        self.check("heartbeats signed and well-formed", heartbeats)
        self.check("events signed and well-formed", events)
        if listener.problems:
            self.results.append(
                Result(
                    "requests to the portal signed right", False, "; ".join(listener.problems[:5])
                )
            )
        else:
            self.results.append(Result("requests to the portal signed right", True))


def _event_ok(event: Any) -> None:
    assert isinstance(event, dict), f"event is not an object: {event!r:.100}"
    uuid.UUID(str(event.get("event_id")))
    assert event.get("direction") in ("in", "out"), f"direction {event.get('direction')!r}"
    assert event.get("decision") in ("open", "deny"), f"decision {event.get('decision')!r}"
    assert event.get("reason") in REASONS, f"reason {event.get('reason')!r}"
    assert (event["decision"] == "open") == (event["reason"] == "ok"), (
        "decision and reason disagree"
    )
    moment = dt.datetime.fromisoformat(str(event.get("occurred_at")))
    assert moment.utcoffset() is not None, "occurred_at has no offset"
    assert abs(moment.timestamp() - time.time()) < 3600, "occurred_at is not now"
    for name in ("grant", "rider"):
        value = event.get(name)
        assert value is None or type(value) is int, f"{name} {value!r}"


def report(results: list[Result]) -> str:
    lines = []
    for result in results:
        mark = "PASS" if result.ok else ("SKIP" if result.ok is None else "FAIL")
        lines.append(f"{mark}  {result.name}" + (f" — {result.detail}" if result.detail else ""))
    failed = sum(1 for r in results if r.ok is False)
    passed = sum(1 for r in results if r.ok)
    lines.append(f"{passed} passed, {failed} failed, {len(results) - passed - failed} skipped")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gatecheck", description=__doc__)
    parser.add_argument(
        "--url", required=True, help="the device's endpoint, e.g. http://10.0.0.21:9100/c/7"
    )
    parser.add_argument("--id", type=int, required=True, help="its controller id")
    parser.add_argument("--secret", required=True, help="its shared secret (use a test secret)")
    parser.add_argument("--scan-url", help="the scan hook (default <url>/scan)")
    parser.add_argument(
        "--listen", help="host:port to receive its heartbeats and events as the portal"
    )
    parser.add_argument("--tz", default="Asia/Shanghai", help="the list's time zone")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for reports")
    args = parser.parse_args(argv)
    listener = None
    if args.listen:
        host, _sep, port = args.listen.rpartition(":")
        listener = Listener(args.id, args.secret, host or "0.0.0.0", int(port))
        print(f"listening as the portal on {listener.url}: point the device's portal URL here")
    kit = Kit(
        args.url,
        args.id,
        args.secret,
        scan_url=args.scan_url,
        listener=listener,
        tz=args.tz,
        wait=args.wait,
    )
    results = kit.run()
    print(report(results))
    if listener is not None:
        listener.stop()
    return 0 if all(r.ok is not False for r in results) else 1
