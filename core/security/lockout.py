"""What a locked-out log-in sees: a page (or JSON under /api/) saying how long to wait,
429 with Retry-After, never a 500."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .ratelimit import refusal_429


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    detail = _(
        "Too many failed log-ins for this user name from your network. "
        "Please wait %(minutes)d minutes and try again."
    ) % {"minutes": minutes}
    return refusal_429(
        request,
        detail=detail,
        retry_after=int(settings.AXES_COOLOFF_TIME.total_seconds()),
        template="security/locked_out.html",
    )
