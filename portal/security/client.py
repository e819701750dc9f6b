"""Who is asking: the client's address, and personal data masked for security logs."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest

security_log = logging.getLogger("last100.security")


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind SECURITY_PROXY_COUNT trusted proxies the address the
    outermost of them saw (counted from the right of X-Forwarded-For: a client can put
    anything on the left)."""
    proxies = settings.SECURITY_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"


def masked_phone(phone: str) -> str:
    from riders.models import mask_phone  # portal depends on no app at import time

    return mask_phone(phone)


def user_label(request: HttpRequest) -> str:
    """`user:<id>` for a logged-in user, `anonymous` otherwise: logs name no user names."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous"
