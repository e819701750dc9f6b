"""Chosen by pytest through pyproject.toml; never by sniffing sys.argv."""

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS
from .env import env_bool

DEBUG = False
# The demo and the bench's commands, as in dev (portal/settings/dev.py); never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo", "bench"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / "test-private-media"
SERVE_MEDIA = True  # portal/urls.py serves MEDIA_ROOT for live_server browser tests
ALLOWED_HOSTS = ["*"]
# Tasks run in the test process; the gate-sync fault tests switch to a real broker and
# worker themselves (gatesync/tests/test_gatesync_faults.py).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
# Counters in a shared cache would make tests depend on each other; the rate-limit tests
# turn this on (portal/tests/test_security_ratelimit.py).
SECURITY_RATELIMIT_ENABLED = False
