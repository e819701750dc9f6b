"""Session timeouts, rate limits on password log-ins, and a log line for every 403."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from .client import FORWARDED_META, client_ip, is_trusted_proxy, security_log, user_label
from .ratelimit import check


class NulBytesMiddleware:
    """First of every stack: a NUL byte in the path or the query string is a 400. No page
    takes one, and PostgreSQL refuses NUL in text, so it reached the database as a 500
    (`/?q=%00`, `/r/%00/`, admin list filters)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return HttpResponseBadRequest("NUL bytes are not accepted.", content_type="text/plain")
        return self.get_response(request)


class ForwardedHeadersMiddleware:
    """First of every middleware stack: X-Forwarded-For, -Proto, -Host and their kin count
    only when the peer is one of SECURITY_TRUSTED_PROXIES. From anyone else they are
    removed, so neither `request.is_secure()` (SECURE_PROXY_SSL_HEADER), nor the host, nor
    the client address the rate limits and lock-out use can be chosen by the client."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for name in FORWARDED_META:
                request.META.pop(name, None)
        return self.get_response(request)


# Session keys: when the user logged in, and when they were last seen (unix seconds).
LOGIN_AT = "_l100_login_at"
SEEN_AT = "_l100_seen_at"


def session_stamp_login(request: HttpRequest) -> None:
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


def _session_expiry(request: HttpRequest, now: int) -> str | None:
    """Why this logged-in session is over ("idle" or "absolute"), or None; stamps a
    session that has no clock yet (one from before this middleware) and the last-seen time
    at most once a SESSION_ACTIVITY_RESOLUTION_SECONDS."""
    session = request.session
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        session_stamp_login(request)
        return None
    if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
        return "absolute"
    if now - seen_at > settings.SESSION_IDLE_TIMEOUT_SECONDS:
        return "idle"
    if now - seen_at >= settings.SESSION_ACTIVITY_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
    return None


class PortalSecurityMiddleware:
    """After AuthenticationMiddleware. Ends a logged-in session idle or too old (the
    request goes on as anonymous, so a page needing a log-in sends it to the log-in);
    counts POSTs to the password log-in views named in SECURITY_LOGIN_URL_NAMES; logs
    denied access."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session:
            reason = _session_expiry(request, int(time.time()))
            if reason is not None:
                who = f"user:{request.session[SESSION_KEY]}"
                logout(request)
                security_log.info("session_expired reason=%s %s", reason, who)
        response = self.get_response(request)
        if response.status_code == 403:
            security_log.warning(
                "access_denied %s ip=%s method=%s path=%s",
                user_label(request),
                client_ip(request),
                request.method,
                request.path,
            )
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            request.method == "POST"
            and match is not None
            and match.view_name in settings.SECURITY_LOGIN_URL_NAMES
        ):
            return check(request, scope="login")
        return None
