"""HTTP side of the fake terminal: HTTP Digest auth (RFC 7616, MD5, qop=auth) in front
of the ISAPI endpoints, keep-alive connections, and `/debug/...` for tests (no auth)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .device import BAD_CONTENT, Device, device_info_xml, status

log = logging.getLogger("isapisim")
REALM = "DS-K1T342"  # terminals use their model as the realm
NONCE_SECONDS = 300
DIGEST_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - RFC 7616 MD5 is the point


def parse_digest(header: str) -> dict[str, str] | None:
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "digest":
        return None
    return {m[1].lower(): m[2] if m[2] or not m[3] else m[3] for m in DIGEST_PARAM.finditer(rest)}


class DigestGate:
    """Issues nonces and checks Authorization headers. A nonce lives NONCE_SECONDS; each
    use must carry a higher nonce count than the last (a replayed header is refused)."""

    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.password = password
        self.nonces: dict[str, tuple[float, int]] = {}  # nonce -> (issued, last nc)
        self.lock = threading.Lock()
        self.opaque = secrets.token_hex(8)
        self.failures = 0

    def challenge(self, *, stale: bool = False) -> str:
        nonce = secrets.token_hex(16)
        with self.lock:
            now = time.monotonic()
            self.nonces = {n: v for n, v in self.nonces.items() if now - v[0] < NONCE_SECONDS}
            self.nonces[nonce] = (now, 0)
        return (
            f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", opaque="{self.opaque}", '
            f"algorithm=MD5{', stale=TRUE' if stale else ''}"
        )

    def check(self, method: str, path: str, header: str | None) -> str:
        """ "ok", "stale" (a nonce we no longer hold: ask again, no failure) or "bad"."""
        fields = parse_digest(header or "")
        if not fields:
            return "bad"
        need = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(key not in fields for key in need):
            return "bad"
        if fields.get("algorithm", "MD5").upper() != "MD5" or fields["qop"] != "auth":
            return "bad"
        if fields["uri"] != path or fields["realm"] != REALM:
            return "bad"
        try:
            nc = int(fields["nc"], 16)
        except ValueError:
            return "bad"
        ha1 = md5(f"{self.user}:{REALM}:{self.password}")
        ha2 = md5(f"{method}:{fields['uri']}")
        expected = md5(f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
        if not (
            hmac.compare_digest(fields["username"], self.user)
            and hmac.compare_digest(fields["response"], expected)
        ):
            self.failures += 1
            return "bad"
        with self.lock:
            held = self.nonces.get(fields["nonce"])
            if held is None or time.monotonic() - held[0] >= NONCE_SECONDS:
                return "stale"
            if nc <= held[1]:
                return "bad"  # replayed
            self.nonces[fields["nonce"]] = (held[0], nc)
        return "ok"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as terminals do
    server: IsapiServer

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes: without this, Nagle waits for the
        # client's delayed ACK (~40 ms) on every kept-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, code: int, payload: Any, *, headers: dict[str, str] | None = None) -> None:
        if isinstance(payload, str):
            body, kind = payload.encode(), "application/xml; charset=UTF-8"
        else:
            body, kind = json.dumps(payload, ensure_ascii=False).encode(), "application/json"
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _authorised(self) -> bool:
        verdict = self.server.gate.check(self.command, self.path, self.headers["Authorization"])
        if verdict == "ok":
            return True
        answer = {
            "statusCode": 4,
            "statusString": "Invalid Operation",
            "subStatusCode": "unAuthorized" if verdict == "bad" else "staleNonce",
            "errorCode": 0x40000001,
            "errorMsg": "The user name or password is incorrect, or the nonce expired.",
        }
        challenge = self.server.gate.challenge(stale=verdict == "stale")
        self._send(401, answer, headers={"WWW-Authenticate": challenge})
        return False

    def _handle(self) -> None:
        raw = self._body()  # read it even when refusing, so the connection stays usable
        parts = urlsplit(self.path)
        route = (self.command, parts.path)
        device = self.server.device
        if parts.path.startswith("/debug/"):
            self._debug(route, raw)
            return
        if not self._authorised():
            return
        url = parts.path
        if route == ("GET", "/ISAPI/System/deviceInfo"):
            self._send(200, device_info_xml())
            return
        if route == ("GET", "/ISAPI/AccessControl/UserInfo/Count"):
            self._send(200, device.count())
            return
        if route == ("GET", "/ISAPI/AccessControl/UserInfoDetail/DeleteProcess"):
            self._send(200, device.delete_process())
            return
        writes = {
            ("POST", "/ISAPI/AccessControl/UserInfo/Record"): device.record,
            ("PUT", "/ISAPI/AccessControl/UserInfo/Modify"): device.modify,
            ("PUT", "/ISAPI/AccessControl/UserInfoDetail/Delete"): device.delete,
        }
        if route in writes or route == ("POST", "/ISAPI/AccessControl/UserInfo/Search"):
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                self._send(400, status(BAD_CONTENT, url=url, message="not JSON"))
                return
            if route in writes:
                code, answer = writes[route](body, url)
            else:
                code, answer = device.search(body)
            self._send(code, answer)
            return
        self._send(
            404,
            {
                "statusCode": 4,
                "statusString": "Invalid Operation",
                "subStatusCode": "notSupport",
                "errorCode": 0x40000002,
                "errorMsg": "notSupport",
            },
        )

    def _debug(self, route: tuple[str, str], raw: bytes) -> None:
        """For tests and people: the persons as stored, and switching failures on/off."""
        device = self.server.device
        if route == ("GET", "/debug/persons"):
            self._send(200, {"persons": device.snapshot()})
        elif route == ("PUT", "/debug/fail"):
            wanted = json.loads(raw or b"{}").get("employees", [])
            with device.lock:
                device.fail_employees = {str(e) for e in wanted}
            self._send(200, {"fail": sorted(device.fail_employees)})
        else:
            self._send(404, {"error": "not_found"})

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class IsapiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], device: Device, gate: DigestGate) -> None:
        super().__init__(address, Handler)
        self.device = device
        self.gate = gate
