"""Who may call the gate endpoints: a GateController signing its request with HMAC, or
a logged-in staff member holding the guard permission on the gate's community.

Controller requests carry three headers:

    X-L100-Controller: <controller id>
    X-L100-Timestamp:  <unix seconds>          (within ±RIDERS_HMAC_WINDOW_SECONDS)
    X-L100-Signature:  hex(HMAC-SHA256(secret, "<timestamp>\\n" + raw body))

Each process keeps the controllers it has seen (with gate and community) for
CONTROLLER_CACHE_SECONDS, so a scan costs no query to authenticate. Saving or deleting a
controller, gate or community empties that process's copy at once (signals); other
processes see a disabled controller, a new secret or new gate hours within the TTL.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from communities.models import Community, Gate, GateController

CONTROLLER_CACHE_SECONDS = 5.0
_controllers: dict[int, tuple[float, GateController | None]] = {}


def controller_sign(*, secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def controller_from_request(request: HttpRequest) -> GateController | None:
    """The controller that signed this request, or None (missing, unknown, disabled,
    stale timestamp or bad signature — all look the same to the caller)."""
    controller_id = request.headers.get("X-L100-Controller", "")
    stamp = request.headers.get("X-L100-Timestamp", "")
    signature = request.headers.get("X-L100-Signature", "")
    if not (controller_id.isdigit() and stamp.lstrip("-").isdigit() and signature):
        return None
    if abs(time.time() - int(stamp)) > settings.RIDERS_HMAC_WINDOW_SECONDS:
        return None
    controller = _controller(int(controller_id))
    if controller is None or not controller.secret:
        return None
    expected = controller_sign(secret=controller.secret, timestamp=int(stamp), body=request.body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        logging.getLogger("last100.security").warning("bad_signature controller=%s", controller.pk)
        return None
    return controller


def _controller(pk: int) -> GateController | None:
    """The enabled controller `pk` with its gate and community, from this process's copy
    when it is younger than CONTROLLER_CACHE_SECONDS (unknown ids are remembered too)."""
    now = time.monotonic()
    hit = _controllers.get(pk)
    if hit is not None and now - hit[0] < CONTROLLER_CACHE_SECONDS:
        return hit[1]
    controller = (
        GateController.objects.select_related("gate__community").filter(pk=pk, enabled=True).first()
    )
    if len(_controllers) > 10_000:  # ids are the caller's to choose: bound the memory
        _controllers.clear()
    _controllers[pk] = (now, controller)
    return controller


def controller_cache_clear(**kwargs: object) -> None:
    _controllers.clear()


for _model in (GateController, Gate, Community):
    post_save.connect(controller_cache_clear, sender=_model, dispatch_uid=f"ctl-cache-{_model}")
    post_delete.connect(controller_cache_clear, sender=_model, dispatch_uid=f"ctl-del-{_model}")
