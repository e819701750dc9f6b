"""Who may call the gate endpoints: a GateController signing its request with HMAC, or
a logged-in staff member holding the guard permission on the gate's community.

Controller requests carry three headers:

    X-L100-Controller: <controller id>
    X-L100-Timestamp:  <unix seconds>          (within ±RIDERS_HMAC_WINDOW_SECONDS)
    X-L100-Signature:  hex(HMAC-SHA256(secret, "<timestamp>\\n" + raw body))
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.http import HttpRequest

from communities.models import GateController


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
    controller = (
        GateController.objects.select_related("gate__community")
        .filter(pk=int(controller_id), enabled=True)
        .first()
    )
    if controller is None or not controller.secret:
        return None
    expected = controller_sign(secret=controller.secret, timestamp=int(stamp), body=request.body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        logging.getLogger("last100.security").warning("bad_signature controller=%s", controller.pk)
        return None
    return controller
