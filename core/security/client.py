"""Who is asking: the client's address, and personal data masked for security logs."""

from __future__ import annotations

import functools
import logging
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest

from core.masking import mask_phone

security_log = logging.getLogger("last100.security")


# Headers only a proxy of ours may set; from anyone else they are dropped
# (ForwardedHeadersMiddleware) and never read here.
FORWARDED_META = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


@functools.lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(item, strict=False) for item in spec)


def _address(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def is_trusted_proxy(value: str | None) -> bool:
    """Whether `value` (an address) is one of SECURITY_TRUSTED_PROXIES (addresses or
    networks). A proxy's forwarded headers are believed; anyone else's are not."""
    return _trusted(value or "", tuple(settings.SECURITY_TRUSTED_PROXIES))


# Asked twice per request (the forwarded headers, the client's address) with the same
# peer: parsing the address and testing the networks is ~10 µs, remembered per (address,
# proxies setting). A flood from many addresses only turns the cache over.
@functools.lru_cache(maxsize=4096)
def _trusted(value: str, spec: tuple[str, ...]) -> bool:
    address = _address(value)
    if address is None:
        return False
    return any(address.version == net.version and address in net for net in _networks(spec))


def client_ip(request: HttpRequest) -> str:
    """The client's address: the peer (REMOTE_ADDR), unless the peer is a trusted proxy;
    then X-Forwarded-For is read from the right, skipping our own proxies, and the first
    address that is not one of them is the client (what our outermost proxy saw). A client
    can write anything on the left of the header, or send the header straight to the
    portal: neither is believed. Rate limits and django-axes' lock-out use this."""
    peer = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - an address, not a bind
    if not is_trusted_proxy(peer):
        return peer
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    for hop in reversed(forwarded):
        if _address(hop) is None:
            return peer  # a header our proxy did not write as it should: count the proxy
        if not is_trusted_proxy(hop):
            return hop
    return forwarded[0] if forwarded else peer


def masked_phone(phone: str) -> str:
    return mask_phone(phone)


def user_label(request: HttpRequest) -> str:
    """`user:<id>` for a logged-in user, `anonymous` otherwise: logs name no user names."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous"
