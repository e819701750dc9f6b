"""Log-in protection, sessions, rate limits and the Content-Security-Policy (docs/security.md).

Imported at the end of base.py, so every environment gets these; prod.py adds HTTPS-only
settings on top."""

from __future__ import annotations

from datetime import timedelta

from csp.constants import NONCE, NONE, SELF

from .env import env_bool, env_int, env_list, env_str


def trusted_proxies(items: list[str]) -> list[str]:
    """SECURITY_TRUSTED_PROXIES checked at start-up: a typo must not silently trust nobody
    (or everybody)."""
    from ipaddress import ip_network

    from django.core.exceptions import ImproperlyConfigured

    for item in items:
        try:
            ip_network(item, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"SECURITY_TRUSTED_PROXIES: {item!r} is not an address or network."
            ) from exc
    return items


# django-axes: a user name is locked out only from the address that failed, so nobody can
# lock an owner out by typing their name wrong from elsewhere.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.security.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.security.client.client_ip"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False  # our own "last100.security" lines say it with masked data

# Sessions: rotated on log-in by Django (login() cycles the key); ended after this much
# inactivity, and this long after log-in whatever happens (core/security/middleware.py).
SESSION_IDLE_TIMEOUT_SECONDS = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env_int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The idle clock is written to the session at most this often, not on every request.
SESSION_ACTIVITY_RESOLUTION_SECONDS = 60

# Rate limits (core/security/ratelimit.py): "<count>/<period>", period s, m, h or d with an
# optional multiplier ("10/15m"). Counted in the shared cache (Redis).
SECURITY_RATELIMIT_ENABLED = env_bool("SECURITY_RATELIMIT_ENABLED", True)
SECURITY_RATE_LIMITS = {
    # /r/<gate code>/: a rider registering, per address (a whole gate's riders may share one).
    "register": env_str("RATE_LIMIT_REGISTER", "30/m"),
    # One-time codes: asking for a text, per address and per phone number.
    "login-code-send": env_str("RATE_LIMIT_LOGIN_CODE_SEND", "5/10m"),
    # Typing the code: per address and per phone, far fewer than the 10^6 codes.
    "login-code-verify": env_str("RATE_LIMIT_LOGIN_CODE_VERIFY", "10/15m"),
    # Online verification at the gate, per controller (and address) or guard.
    "verify": env_str("RATE_LIMIT_VERIFY", "600/m"),
    "feedback": env_str("RATE_LIMIT_FEEDBACK", "10/h"),
    # Password log-ins (admin and owners), per address; django-axes counts failures too.
    "login": env_str("RATE_LIMIT_LOGIN", "30/5m"),
    # Platforms' delivery-info API, per platform (coordination/api).
    "delivery-info": env_str("RATE_LIMIT_DELIVERY_INFO", "600/m"),
}
# Password log-in views limited by the middleware (admin's view cannot take a decorator).
SECURITY_LOGIN_URL_NAMES = ["admin:login", "governance:login", "riders:guard_login"]
# The reverse proxies in front of the portal (addresses or networks, comma-separated):
# X-Forwarded-For/-Proto/-Host are believed only from them; empty trusts only REMOTE_ADDR.
SECURITY_TRUSTED_PROXIES = trusted_proxies(env_list("SECURITY_TRUSTED_PROXIES", []))

# /healthz answers only "ok"/"degraded" to the public; the checks' details (backends,
# timings, error classes) go to logged-in staff or to a request carrying this token
# (header `Authorization: Bearer <token>`). Empty: staff only.
HEALTHZ_TOKEN = env_str("HEALTHZ_TOKEN", "")

# Content-Security-Policy (django-csp 4): our pages load only their own scripts and styles.
# Inline style *attributes* stay allowed: map markers and bars are positioned by the server
# (style="left: 42%"); they cannot run code. The Swagger UI page (/api/docs/) gets nonces on
# its inline script and style (templates/drf_spectacular/swagger_ui.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
