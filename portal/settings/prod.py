"""Production: secrets come from the environment with no default; SQLite is refused."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES
from .env import env_bool, env_int, env_list, env_required
from .security import trusted_proxies

SECRET_KEY = env_required("SECRET_KEY")
env_required("DATABASE_URL")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    raise ImproperlyConfigured("Production needs a real database: set DATABASE_URL to PostgreSQL.")

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
# saw (portal/security/client.py). Name a proxy elsewhere by address or network.
SECURITY_TRUSTED_PROXIES = trusted_proxies(
    env_list("SECURITY_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
)
