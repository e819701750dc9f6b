"""HTTP side of the simulator: one server hosting many virtual controllers at
`/c/<id>/...`, and the background threads that report events and heartbeats."""

from __future__ import annotations

import hmac
import html
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from .client import TO_CONTROLLER, TO_PORTAL, sign, sign_v2, signature, signature_v2
from .controller import FIRMWARE, PushRefused, VirtualController

log = logging.getLogger("gatesim")
WINDOW = 300


class Fleet:
    def __init__(self, controllers: dict[int, VirtualController], portal: str) -> None:
        self.controllers = controllers
        self.portal = portal.rstrip("/")
        self.stop = threading.Event()
        self.heartbeat_ok: dict[int, float] = {}

    # --- reporting to the portal (§4) ---------------------------------------------------

    def _post(self, controller: VirtualController, path: str, payload: Any) -> Any:
        body = json.dumps(payload, separators=(",", ":")).encode()
        url = self.portal + path
        if controller.protocol < 2:
            headers = sign(controller.secret, body, controller.id)
        else:
            headers = sign_v2(
                controller.secret, controller.id, "POST", url, body, direction=TO_PORTAL
            )
        request = urllib.request.Request(url, data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read() or b"null")

    def report_events(self, controller: VirtualController) -> int:
        batch = controller.take_events()
        if not batch:
            return 0
        answer = self._post(controller, "/api/v1/gates/events", {"events": batch})
        if not (isinstance(answer, dict) and "accepted" in answer):
            raise ValueError(f"unexpected answer {answer!r:.200}")
        # Rejected events will never be accepted: drop them too (they are logged).
        for rejected in answer.get("rejected") or []:
            log.warning("controller %s: event refused: %s", controller.id, rejected)
        controller.events_accepted(batch)
        return len(batch)

    def heartbeat(self, controller: VirtualController) -> dict[str, Any]:
        state = controller.state()
        answer = self._post(
            controller,
            "/api/v1/gates/heartbeat",
            {
                "version": state["version"],
                "clock": state["clock"],
                "firmware": FIRMWARE,
                "size": state["size"],
                "digest": state["digest"],
                "seq": controller.next_sequence(),
            },
        )
        self.heartbeat_ok[controller.id] = time.time()
        return answer

    def run_reporter(self, every: float) -> None:
        """Report each controller's events every `every` s; a controller whose report
        failed (portal down, refused) waits 2, 4, 8… × `every` (at most 60 s) before its
        next try, without holding up the others. Events stay owed (in their file) until the
        portal accepted them."""
        failures: dict[int, int] = {}
        retry_at: dict[int, float] = {}
        while not self.stop.wait(every):
            for controller in list(self.controllers.values()):
                if self.stop.is_set():
                    return
                if not controller.pending or retry_at.get(controller.id, 0) > time.time():
                    continue
                try:
                    while self.report_events(controller) and controller.pending:
                        pass  # more than one batch owed: send the next now
                    failures.pop(controller.id, None)
                    retry_at.pop(controller.id, None)
                except (urllib.error.URLError, OSError, ValueError) as error:
                    count = failures[controller.id] = failures.get(controller.id, 0) + 1
                    retry_at[controller.id] = time.time() + min(every * 2**count, 60)
                    log.info("controller %s: events not delivered (%s)", controller.id, error)

    def run_heartbeats(self, every: float, workers: int = 8) -> None:
        """A heartbeat per controller every `every` s, `workers` at a time (a fleet of
        1,000 sends them in a few seconds without a burst of 1,000 at once)."""

        def beat(controller: VirtualController) -> None:
            if self.stop.is_set():
                return
            try:
                self.heartbeat(controller)
            except (urllib.error.URLError, OSError, ValueError) as error:
                log.info("controller %s: heartbeat failed (%s)", controller.id, error)

        next_at = 0.0
        with ThreadPoolExecutor(workers, thread_name_prefix="heartbeat") as pool:
            while not self.stop.wait(max(0.0, next_at - time.time())):
                next_at = time.time() + every
                list(pool.map(beat, list(self.controllers.values())))


def make_handler(fleet: Fleet) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "gatesim/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

        # --- plumbing ---------------------------------------------------------------

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: Any) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json")

        def _html(self, status: int, text: str) -> None:
            self._send(status, text.encode(), "text/html; charset=utf-8")

        def _route(self) -> tuple[VirtualController | None, str]:
            path = self.path.split("?", 1)[0]
            parts = path.strip("/").split("/", 2)
            if len(parts) >= 2 and parts[0] == "c" and parts[1].isdigit():
                return fleet.controllers.get(int(parts[1])), "/" + (
                    parts[2] if len(parts) > 2 else ""
                )
            return None, path

        def _refusal(self, controller: VirtualController, body: bytes) -> dict[str, Any] | None:
            """None for a push signed right (§1), else the refusal's body. v2: method, path,
            query, controller, direction, timestamp, nonce and body are signed with the
            portal->controller key, and a nonce is accepted once."""
            stamp = self.headers.get("X-L100-Timestamp", "")
            given = (self.headers.get("X-L100-Signature") or "").lower()
            nonce = self.headers.get("X-L100-Nonce")
            now = int(time.time())

            def refused(code: str) -> dict[str, Any]:
                return {"error": code, "server_time": now}

            if self.headers.get("X-L100-Controller") != str(controller.id):
                return refused("bad_signature")
            if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
                return refused("malformed")
            if abs(now - int(stamp)) > WINDOW:
                return refused("clock_skew")
            if nonce is None:
                if controller.protocol >= 2:
                    return refused("protocol_v2_required")
                expected = signature(controller.secret, stamp, body)
            else:
                if not (16 <= len(nonce) <= 64):
                    return refused("malformed")
                path, _sep, query = self.path.partition("?")
                expected = signature_v2(
                    controller.secret,
                    TO_CONTROLLER,
                    controller.id,
                    self.command,
                    path,
                    query,
                    stamp,
                    nonce,
                    body,
                )
            if not hmac.compare_digest(expected, given):
                return refused("bad_signature")
            if nonce is not None and int(stamp) < controller.started_at:
                return refused("replayed")  # signed before this start: its nonce is forgotten
            if nonce is not None and not controller.nonce_remember(nonce, int(stamp) + WINDOW):
                return refused("replayed")
            return None

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        # --- GET ----------------------------------------------------------------------

        def do_GET(self) -> None:
            controller, rest = self._route()
            if controller is None:
                if rest in ("/", ""):
                    return self._html(200, index_page(fleet))
                return self._json(404, {"error": "no_such_controller"})
            if rest == "/v1/state":
                # The portal signs its reads; the page and people may read unsigned. A request
                # that says it is signed must be signed right.
                signed = "X-L100-Signature" in self.headers
                refusal = self._refusal(controller, b"") if signed else None
                if refusal is not None:
                    return self._json(401, refusal)
                return self._json(200, controller.state())
            if rest in ("/", ""):
                return self._html(200, controller_page(controller, None))
            return self._json(404, {"error": "not_found"})

        # --- POST ---------------------------------------------------------------------

        def do_POST(self) -> None:
            controller, rest = self._route()
            body = self._body()
            if controller is None:
                return self._json(404, {"error": "no_such_controller"})
            if rest == "/scan":
                return self._scan(controller, body)
            if rest not in ("/v1/snapshot", "/v1/delta", "/v1/reset"):
                return self._json(404, {"error": "not_found"})
            refusal = self._refusal(controller, body)
            if refusal is not None:
                return self._json(401, refusal)
            try:
                doc = json.loads(body or b"{}")
                if not isinstance(doc, dict):
                    raise ValueError("not an object")
                if rest == "/v1/snapshot":
                    answer = controller.apply_snapshot(doc)
                elif rest == "/v1/delta":
                    answer = controller.apply_delta(doc)
                else:
                    answer = controller.reset()
            except PushRefused as refused:
                return self._json(refused.status, refused.body)
            except (ValueError, KeyError, TypeError, IndexError) as error:
                return self._json(400, {"error": "bad_document", "detail": str(error)[:200]})
            return self._json(200, answer)

        def _scan(self, controller: VirtualController, body: bytes) -> None:
            as_json = "json" in (self.headers.get("Content-Type") or "")
            wants_json = as_json or "json" in (self.headers.get("Accept") or "")
            try:
                if as_json:
                    data = json.loads(body or b"{}")
                else:
                    form = parse_qs(body.decode("utf-8", "replace"))
                    data = {k: v[0] for k, v in form.items()}
                token, direction = str(data.get("token", "")), str(data.get("direction", "in"))
            except (ValueError, AttributeError):
                return self._json(400, {"error": "bad_request"})
            if direction not in ("in", "out"):
                return self._json(400, {"error": "bad_direction"})
            event = controller.decide(token, direction)
            if wants_json:
                return self._json(200, event)
            return self._html(200, controller_page(controller, event))

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # A fleet is pushed to by many workers at once: the default backlog of 5 makes the
    # kernel reset connections (seen with 64 concurrent pushes).
    request_queue_size = 1024


def serve(fleet: Fleet, host: str, port: int) -> ThreadingHTTPServer:
    return Server((host, port), make_handler(fleet))


# --- pages ------------------------------------------------------------------------------

STYLE = """
body{font:16px/1.5 system-ui,"Noto Sans CJK SC",sans-serif;margin:0;padding:1rem;
color:#1f2328;background:#fff;max-width:40rem}
h1{font-size:1.3rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #d0d7de;padding:.3rem;text-align:left;font-size:.9rem}
label{display:block;font-weight:600;margin-top:.5rem}
textarea{width:100%;min-height:5rem;font:inherit;box-sizing:border-box}
button{font:inherit;padding:.6rem 1.2rem;margin-top:.5rem;border:2px solid #1f2328;
background:#fff;border-radius:.4rem;cursor:pointer}
button:focus,textarea:focus,select:focus{outline:3px solid #0969da;outline-offset:2px}
.verdict{font-size:2.5rem;font-weight:800;text-align:center;padding:1.5rem;
border-radius:.5rem;color:#fff;margin:1rem 0}
.open{background:#1a7f37}.deny{background:#b42318}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}dt{font-weight:600}
"""

REASONS = {
    "ok": "通行 / Pass valid",
    "expired": "已过期 / Expired",
    "bad_signature": "签名无效 / Not genuine",
    "malformed": "不是通行码 / Not a pass",
    "other_community": "其他小区 / Another community",
    "unknown_grant": "不在名单 / Not on the list",
    "no_entry": "禁止骑手进入 / Riders may not enter",
    "outside_hours": "不在通行时段 / Outside riders' hours",
    "replayed": "已使用 / Already used",
    "gate_closed_to_riders": "此门不对骑手开放 / Gate closed to riders",
}


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def controller_page(controller: VirtualController, event: dict[str, Any] | None) -> str:
    state = controller.state()
    verdict = ""
    if event is not None:
        word = "开闸 OPEN" if event["decision"] == "open" else "拒绝 DENIED"
        verdict = (
            f'<div class="verdict {event["decision"]}" role="status">{word}<br>'
            f"<small>{html.escape(REASONS.get(event['reason'], event['reason']))}</small></div>"
        )
    rows = "".join(
        f"<tr><td>{html.escape(e['occurred_at'][11:19])}</td><td>{e['direction']}</td>"
        f"<td>{e['decision']}</td><td>{html.escape(REASONS.get(e['reason'], e['reason']))}</td>"
        f"<td>{e['grant'] or ''}</td></tr>"
        for e in controller.recent
    )
    policy = state["policy"] or {}
    body = f"""
<h1>模拟闸机 Gate simulator #{controller.id}</h1>
{verdict}
<dl>
<dt>名单版本 List version</dt><dd>{state["version"]}</dd>
<dt>名单人数 Passes on the list</dt><dd>{state["size"]}</dd>
<dt>进入政策 Entry policy</dt><dd>{html.escape(str(policy.get("entry", "—")))}</dd>
<dt>摘要 Digest</dt><dd><code>{state["digest"][:16]}…</code></dd>
<dt>待上报事件 Events to report</dt><dd>{state["pending_events"]}</dd>
</dl>
<form method="post" action="/c/{controller.id}/scan">
<label for="token">扫描到的通行码 Scanned pass code</label>
<textarea id="token" name="token" required autofocus></textarea>
<label for="direction">方向 Direction</label>
<select id="direction" name="direction"><option value="in">进 Entry</option>
<option value="out">出 Exit</option></select>
<div><button type="submit">验证 Verify</button></div>
</form>
<h2>最近事件 Recent events</h2>
<table><thead><tr><th scope="col">时间 Time</th><th scope="col">方向 Dir.</th>
<th scope="col">结果 Decision</th><th scope="col">原因 Reason</th><th scope="col">授权 Grant</th>
</tr></thead><tbody>{rows}</tbody></table>
"""
    return _page(f"Gate simulator #{controller.id}", body)


def index_page(fleet: Fleet) -> str:
    shown = list(fleet.controllers.values())[:100]
    rows = "".join(
        f'<tr><td><a href="/c/{c.id}/">#{c.id}</a></td><td>{c.version}</td>'
        f"<td>{len(c.entries)}</td></tr>"
        for c in shown
    )
    more = len(fleet.controllers) - len(shown)
    extra = f"<p>… {more} more / 另有 {more} 台</p>" if more > 0 else ""
    body = (
        "<h1>模拟闸机 Gate simulator</h1><table><thead><tr><th scope='col'>控制器 Controller</th>"
        "<th scope='col'>版本 Version</th><th scope='col'>人数 Passes</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{extra}"
    )
    return _page("Gate simulator", body)
