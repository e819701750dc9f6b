"""Production: secrets come from the environment with no default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import EMAIL_BACKEND, GOVERNANCE_NOTIFIER, SMS_BACKEND, STORAGES
from .env import env_bool, env_int, env_list, env_required
from .security import trusted_proxies

SECRET_KEY = env_required("SECRET_KEY")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Production sits behind a reverse proxy on the same host (it sets X-Forwarded-Proto above):
# only its forwarded headers are believed, so rate limits and lock-outs count the address it
# saw (core/security/client.py). Name a proxy elsewhere by address or network.
SECURITY_TRUSTED_PROXIES = trusted_proxies(
    env_list("SECURITY_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
)

# Console back-ends print one-time log-in codes, invitation links and full phone numbers
# to the log: production needs real ones (README "Production") unless an operator says
# otherwise, for a trial without SMS or e-mail.
_CONSOLE = {
    "SMS_BACKEND": (SMS_BACKEND, "governance.notify.ConsoleSMS"),
    "EMAIL_BACKEND": (EMAIL_BACKEND, "django.core.mail.backends.console.EmailBackend"),
    "GOVERNANCE_NOTIFIER": (GOVERNANCE_NOTIFIER, "governance.notify.ConsoleNotifier"),
}
if not env_bool("ALLOW_CONSOLE_MESSAGES", False):
    for _name, (_value, _console) in _CONSOLE.items():
        if _value == _console:
            raise ImproperlyConfigured(
                f"{_name} is the console back-end, which logs one-time codes and phone numbers: "
                f"set {_name} to a real back-end, or ALLOW_CONSOLE_MESSAGES=true to accept that."
            )
