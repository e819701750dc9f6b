"""Who may call the gate endpoints: a GateController signing its request with HMAC, or
a logged-in staff member holding the guard permission on the gate's community.

Gate protocol v2 (docs/gate-protocol.md §1) signs every request over its method, path,
sorted query, the controller id, the direction, a timestamp, a nonce and the body's
SHA-256, with a key derived per direction from the controller's secret; the nonce is
remembered for the time window (one Redis SET NX EX), so a request can be neither replayed
nor reflected (a push the portal signed is never a valid request to the portal). Version 1
(`HMAC(secret, "<timestamp>\n" + body)`) is still accepted from controllers whose
protocol is 1, until V1_SUNSET (deprecated, flagged in the admin).

Every refusal has a machine-readable code (`Refusal.code`): unsigned, malformed,
unknown_controller, clock_skew, bad_signature, replayed, protocol_v2_required.

Each process keeps the controllers it has seen (with gate and community) for
CONTROLLER_CACHE_SECONDS (`cache.process_cache.controllers`), so a scan costs no query to
authenticate. Saving or deleting a controller, gate or community empties that process's
copy at once (post_save/post_delete: any write of those rows, by whatever path, must drop
the copy); other processes see a disabled controller, a new secret or new gate hours
within the TTL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils.translation import gettext as _

from communities.models import Community, Gate, GateController

from .cache import process_cache

CONTROLLER_CACHE_SECONDS = 5.0


TO_PORTAL = "controller->portal"
TO_CONTROLLER = "portal->controller"
# The last day a controller whose protocol is 1 is accepted (docs/gate-protocol.md §9).
V1_SUNSET = "2027-06-30"
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_STAMP = re.compile(r"-?[0-9]{1,12}")


def controller_sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """Protocol v1 (deprecated): hex(HMAC-SHA256(secret, "<timestamp>\n" + body))."""
    message = f"{timestamp}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def direction_key(secret: str, direction: str) -> bytes:
    """The v2 key of one direction: HMAC-SHA256(secret, "last100-v2 <direction>")."""
    return hmac.new(secret.encode(), f"last100-v2 {direction}".encode(), hashlib.sha256).digest()


def canonical_query(query: str) -> str:
    """The query string as signed: pairs decoded, sorted, re-encoded (RFC 3986, `~-._`
    kept), joined by `&`; empty when there is none."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)


def string_to_sign(
    *,
    direction: str,
    controller_id: int | str,
    method: str,
    path: str,
    query: str,
    timestamp: int | str,
    nonce: str,
    body: bytes,
) -> bytes:
    """The v2 message (docs/gate-protocol.md §1): nine lines joined by newlines."""
    return "\n".join(
        [
            "L100-HMAC-V2",
            direction,
            str(controller_id),
            method.upper(),
            path,
            canonical_query(query),
            str(timestamp),
            nonce,
            hashlib.sha256(body).hexdigest(),
        ]
    ).encode()


def sign_v2(*, secret: str, direction: str, **message: object) -> str:
    """hex(HMAC-SHA256(direction_key(secret, direction), string_to_sign(...)))."""
    text = string_to_sign(direction=direction, **message)  # type: ignore[arg-type]
    return hmac.new(direction_key(secret, direction), text, hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def signed_headers_v2(
    *,
    controller_id: int,
    secret: str,
    direction: str,
    method: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four X-L100-* headers of a v2 request (either direction)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or new_nonce()
    return {
        "X-L100-Controller": str(controller_id),
        "X-L100-Timestamp": str(stamp),
        "X-L100-Nonce": nonce,
        "X-L100-Signature": sign_v2(
            secret=secret,
            direction=direction,
            controller_id=controller_id,
            method=method,
            path=path,
            query=query,
            timestamp=stamp,
            nonce=nonce,
            body=body,
        ),
    }


@dataclass
class Refusal:
    """Why a controller's request was refused; `code` is for the device, never translated."""

    code: str

    def payload(self) -> dict[str, object]:
        return {
            "code": self.code,
            "detail": _("Sign the request as a gate controller."),
            "server_time": int(time.time()),
        }


def controller_authenticate(
    request: HttpRequest, *, defer_nonce: bool = False
) -> tuple[GateController | None, Refusal | None]:
    """(the controller that signed this request, None) or (None, why not). Never raises:
    a header of any size or content is at worst `malformed`.

    With `defer_nonce`, a well-signed request's nonce is not claimed here: the caller
    claims `request_nonce(request, controller)` itself (in a round trip it makes anyway)
    and answers `nonce_replayed(controller)` when it was taken."""
    meta = request.META  # not request.headers: that parses every header, per request
    controller_id = meta.get("HTTP_X_L100_CONTROLLER", "")
    stamp = meta.get("HTTP_X_L100_TIMESTAMP", "")
    signature = meta.get("HTTP_X_L100_SIGNATURE", "").strip().lower()
    nonce = meta.get("HTTP_X_L100_NONCE")
    if not (controller_id or stamp or signature):
        return None, Refusal("unsigned")
    if not (
        controller_id.isascii()
        and controller_id.isdigit()
        and len(controller_id) <= 18
        and _STAMP.fullmatch(stamp)
        and re.fullmatch(r"[0-9a-f]{64}", signature)
        and (nonce is None or _NONCE.fullmatch(nonce))
    ):
        return None, Refusal("malformed")
    controller = _controller(int(controller_id))
    if controller is None or not controller.secret:
        return None, Refusal("unknown_controller")
    if abs(time.time() - int(stamp)) > settings.RIDERS_HMAC_WINDOW_SECONDS:
        return None, Refusal("clock_skew")
    if nonce is None:
        if getattr(controller, "protocol", 2) >= 2 or _v1_sunset_passed():
            return None, Refusal("protocol_v2_required")
        expected = controller_sign(
            secret=controller.secret, timestamp=int(stamp), body=request.body
        )
    else:
        expected = sign_v2(
            secret=controller.secret,
            direction=TO_PORTAL,
            controller_id=controller.pk,
            method=request.method or "GET",
            path=request.path,
            query=request.META.get("QUERY_STRING", ""),
            timestamp=stamp,
            nonce=nonce,
            body=request.body,
        )
    if not hmac.compare_digest(expected, signature):
        logging.getLogger("last100.security").warning("bad_signature controller=%s", controller.pk)
        return None, Refusal("bad_signature")
    if nonce is not None and not defer_nonce and not nonce_remember(controller.pk, nonce):
        return None, nonce_replayed(controller)
    return controller, None


def nonce_replayed(controller: GateController) -> Refusal:
    """The refusal of a request whose nonce this controller has used (and the log line)."""
    logging.getLogger("last100.security").warning("replayed controller=%s", controller.pk)
    return Refusal("replayed")


def request_nonce(request: HttpRequest, controller: GateController) -> tuple[str, int] | None:
    """The cache key and timeout under which nonce_remember claims the nonce of this
    controller's request (None for a protocol v1 request, which has none)."""
    nonce = request.META.get("HTTP_X_L100_NONCE")
    if nonce is None:
        return None
    return _nonce_key(controller.pk, nonce), 2 * settings.RIDERS_HMAC_WINDOW_SECONDS + 5


def _v1_sunset_passed() -> bool:
    return dt.date.today().isoformat() > V1_SUNSET


def nonce_remember(controller_id: int, nonce: str) -> bool:
    """True the first time this controller's nonce is seen within twice the window (a
    request is acceptable from window s before to window s after its timestamp): one
    SET NX EX on Redis."""
    window = settings.RIDERS_HMAC_WINDOW_SECONDS
    try:
        return bool(cache.add(_nonce_key(controller_id, nonce), 1, timeout=2 * window + 5))
    except Exception:  # noqa: BLE001 - redis errors of every kind
        # Redis down: gates keep working (as the fault drills demand). Reflection is still
        # refused by the signature and a replayed heartbeat by its sequence (database);
        # only another request replayed within the window during the outage gets through.
        logging.getLogger("last100.security").warning(
            "nonce_unchecked controller=%s (cache unavailable)", controller_id
        )
        return True


def _nonce_key(controller_id: int, nonce: str) -> str:
    return f"gate-nonce:{controller_id}:{nonce}"


def _controller(pk: int) -> GateController | None:
    """The enabled controller `pk` with its gate and community, from this process's copy
    when it is younger than CONTROLLER_CACHE_SECONDS (unknown ids are remembered too)."""
    now = time.monotonic()
    hit = process_cache.controllers.get(pk)
    if hit is not None and now - hit[0] < CONTROLLER_CACHE_SECONDS:
        return hit[1]
    controller = (
        GateController.objects.select_related("gate__community").filter(pk=pk, enabled=True).first()
    )
    process_cache.controller_put(pk, now, controller)
    return controller


for _model in (GateController, Gate, Community):
    post_save.connect(
        process_cache.controllers_clear, sender=_model, dispatch_uid=f"ctl-cache-{_model}"
    )
    post_delete.connect(
        process_cache.controllers_clear, sender=_model, dispatch_uid=f"ctl-del-{_model}"
    )
