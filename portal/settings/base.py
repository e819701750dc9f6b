"""Settings shared by every environment; everything that varies comes from the environment."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from .env import env_bool, env_int, env_list, env_networks_check, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "csp",
    "core",
    "portal",
    "communities",
    "gatesync",
    "riders",
    "governance",
    "coordination",
    "dashboard",
]

MIDDLEWARE = [
    "core.security.middleware.NulBytesMiddleware",
    "core.security.middleware.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.security.csp.CSPMiddleware",  # django-csp's, the usual policy built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.locale.LocaleMiddleware",  # Django's, without language prefixes in paths
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.security.middleware.PortalSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]
# Requests signed by a gate controller (portal/machine.py): no session, CSRF, lockout or
# page policy applies to them, so they skip those layers.
MACHINE_MIDDLEWARE = [
    "core.security.middleware.NulBytesMiddleware",
    "core.security.middleware.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.locale.LocaleMiddleware",  # Django's, without language prefixes in paths
    "django.middleware.common.CommonMiddleware",
    "portal.machine.AnonymousRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL everywhere. `make run` and `make test` set DATABASE_URL and REDIS_URL to
# embedded servers when they are not set (tools/devservices.py); anything else run by hand
# goes through `python -m tools.devservices exec -- ...` or sets them.
_NEEDS_SERVICES = (
    "{} is not set. In production, set it to your server (README, Production). On a "
    "laptop, run through `make run` / `make test`, or "
    "`.venv/bin/python -m tools.devservices exec -- <command>`, which start an embedded "
    "PostgreSQL and Redis."
)
_DATABASE_URL = env_str("DATABASE_URL")
if not _DATABASE_URL:
    raise ImproperlyConfigured(_NEEDS_SERVICES.format("DATABASE_URL"))
DATABASES = {
    "default": dj_database_url.parse(_DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://...).")
# Requests and jobs send short queries. PostgreSQL's JIT compiles any plan whose cost
# estimate passes jit_above_cost — easily reached when statistics lag behind a table's
# growth — and spent 0.38 s compiling a 6 ms dashboard query on the large data set.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# A few hot statements are prepared on the server (core.db: a scan's two, the gate by its
# code, the cached rules page's stamp); Django's own never are. A pooler must pass
# protocol-level prepared statements on (pgbouncer >= 1.21: max_prepared_statements);
# DB_PREPARED_STATEMENTS=false runs them unprepared behind one that cannot (docs/scaling.md).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "core.security.backends.AxesBackend",  # first: refuses locked-out log-ins
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous users hold nothing.
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve static/ directly too, so no collectstatic is needed to run
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Personal-data uploads (riders' photos, feedback photos): outside MEDIA_ROOT, never
# published by a web server, served by signed links valid this many seconds
# (core/media.py).
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private-media")))
PRIVATE_MEDIA_MAX_AGE = env_int("PRIVATE_MEDIA_MAX_AGE", 15 * 60)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "core.media.SignedMediaStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Redis: the cache (rate limits, rules pages, nonces) and the Celery broker.
REDIS_URL = env_str("REDIS_URL")
if not REDIS_URL:
    raise ImproperlyConfigured(_NEEDS_SERVICES.format("REDIS_URL"))
CACHES = {
    "default": {
        "BACKEND": "core.cache.PortalRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "last100"),
        "TIMEOUT": 300,
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker started without -Q consumes both; production runs one worker per queue so that
# catching up with unreachable controllers never delays a change (docs/gate-sync.md).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("gatesync-catchup"))
# Task time limits stay well below this, so a slow task is never delivered twice mid-run.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Last100 API",
    "DESCRIPTION": "Communities' delivery rules for riders and delivery platforms.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl None: Swagger UI would otherwise call validator.swagger.io (no internet).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# E-mail (staff and owner notifications): printed to the console unless configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "last100@localhost")
# With EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend:
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

LOGIN_URL = "admin:login"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Rules pages are cached per community version; this bounds a stale entry's life anyway.
RULES_PAGE_CACHE_SECONDS = env_int("RULES_PAGE_CACHE_SECONDS", 600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "last100.security": {"level": "INFO"},  # docs/security.md
        "axes": {"level": "WARNING"},  # its INFO lines name every attempt; ours mask them
        "fontTools": {"level": "WARNING"},  # a line per table when a poster PDF subsets its font
    },
}

# /healthz says whether beat and a worker run: beat sends portal.tasks.pipeline_beat this
# often, and more than PIPELINE_STALE_SECONDS without one is "degraded".
PIPELINE_BEAT_SECONDS = env_int("PIPELINE_BEAT_SECONDS", 15)
PIPELINE_STALE_SECONDS = env_int("PIPELINE_STALE_SECONDS", 90)
CELERY_BEAT_SCHEDULE["portal-pipeline-beat"] = {
    "task": "portal.tasks.pipeline_beat",
    "schedule": float(PIPELINE_BEAT_SECONDS),
}

# Governance
CELERY_BEAT_SCHEDULE["governance-close-due-votes"] = {
    "task": "governance.tasks.close_due_resolutions",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["governance-vote-reminders"] = {
    "task": "governance.tasks.send_vote_reminders",
    "schedule": 3600.0,
}
GOVERNANCE_NOTIFIER = env_str("GOVERNANCE_NOTIFIER", "governance.notify.ConsoleNotifier")
GOVERNANCE_REMIND_DAYS_BEFORE = env_int("GOVERNANCE_REMIND_DAYS_BEFORE", 2)
SMS_BACKEND = env_str("SMS_BACKEND", "governance.notify.ConsoleSMS")

# Riders
# What the pass page invites a rider to, from rooms above riders (the project wires them
# here; riders imports none): each a dotted path to f(community_ids) -> items with title,
# when, place, url.
RIDERS_PASS_INVITATION_PROVIDERS = ["coordination.selectors.rider_invitations"]
# A retired pass-signing key stays published (and verifies) this long after a rotation.
RIDERS_PASS_KEY_GRACE_SECONDS = env_int("RIDERS_PASS_KEY_GRACE_SECONDS", 24 * 3600)
# Platform assertions: at most this long between iat and exp.
RIDERS_ASSERTION_MAX_LIFETIME_SECONDS = 600
# Gate controllers sign requests; a timestamp further than this from ours is refused.
RIDERS_HMAC_WINDOW_SECONDS = 300
# The rider's device cookie (a random token; only its hash is stored).
RIDERS_DEVICE_COOKIE = "l100_device"
RIDERS_DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600

# Gate sync (gatesync/, docs/gate-sync.md, docs/gate-protocol.md)
# Every outbound HTTP call to a controller times out after this many seconds.
GATESYNC_HTTP_TIMEOUT_SECONDS = env_int("GATESYNC_HTTP_TIMEOUT_SECONDS", 10)
# A push holds its controller this long at most (a killed worker's lease runs out).
GATESYNC_LEASE_SECONDS = env_int("GATESYNC_LEASE_SECONDS", 120)
# More changes than this since what a controller holds: send a snapshot instead.
GATESYNC_DELTA_MAX_CHANGES = env_int("GATESYNC_DELTA_MAX_CHANGES", 2000)
# Change-log rows older than this are deleted (a controller offline longer gets a
# snapshot), as are those more than GATESYNC_DELTA_MAX_CHANGES behind the head.
GATESYNC_CHANGE_RETENTION_DAYS = env_int("GATESYNC_CHANGE_RETENTION_DAYS", 30)
GATESYNC_RECONCILE_SECONDS = env_int("GATESYNC_RECONCILE_SECONDS", 30)
# Catch-up pushes queued by one reconcile run at most, and the longest wait between
# retries of a controller that keeps failing (its next heartbeat brings a push at once).
GATESYNC_RECONCILE_MAX = env_int("GATESYNC_RECONCILE_MAX", 500)
GATESYNC_RETRY_MAX_SECONDS = env_int("GATESYNC_RETRY_MAX_SECONDS", 3600)
# Networks (CIDRs, comma-separated) the portal may reach controllers on although they are
# not public: loopback, private, link-local ... are refused otherwise (core/netguard.py,
# docs/security.md). E.g. "192.168.10.0/24" for controllers on the site's LAN.
GATESYNC_ALLOWED_PRIVATE_NETWORKS = env_list("GATESYNC_ALLOWED_PRIVATE_NETWORKS", [])
env_networks_check("GATESYNC_ALLOWED_PRIVATE_NETWORKS", GATESYNC_ALLOWED_PRIVATE_NETWORKS)
# `make run` starts a gate simulator here for the demo gates (seed_demo registers them).
DEMO_GATESIM_URL = env_str("DEMO_GATESIM_URL", "http://127.0.0.1:9100")
CELERY_BEAT_SCHEDULE["gatesync-reconcile"] = {
    "task": "gatesync.tasks.reconcile",
    "schedule": float(GATESYNC_RECONCILE_SECONDS),
}
CELERY_BEAT_SCHEDULE["gatesync-sweep-expired"] = {
    "task": "gatesync.tasks.sweep_expired",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["gatesync-prune-changes"] = {
    "task": "gatesync.tasks.prune_changes",
    "schedule": 3600.0,
}

# Staff dashboard (dashboard/, docs/dashboard.md)
# Raw access events older than this are rolled up into hourly counts and deleted.
DASHBOARD_EVENT_RETENTION_DAYS = env_int("DASHBOARD_EVENT_RETENTION_DAYS", 90)
# A rider whose last entry is older than this, with no exit since, no longer counts as inside.
DASHBOARD_INSIDE_MAX_HOURS = env_int("DASHBOARD_INSIDE_MAX_HOURS", 12)
# Median time inside and its histogram cover entries of the last this many hours.
DASHBOARD_STAY_WINDOW_HOURS = env_int("DASHBOARD_STAY_WINDOW_HOURS", 24)
DASHBOARD_CHART_DAYS = 7
DASHBOARD_CARDS_PER_PAGE = 50
DASHBOARD_ROLLUP_BATCH = env_int("DASHBOARD_ROLLUP_BATCH", 50_000)
DASHBOARD_ROLLUP_MAX_BATCHES = env_int("DASHBOARD_ROLLUP_MAX_BATCHES", 40)
DASHBOARD_ROLLUP_SETTLE_SECONDS = env_int("DASHBOARD_ROLLUP_SETTLE_SECONDS", 60)
CELERY_BEAT_SCHEDULE["dashboard-roll-up-events"] = {
    "task": "dashboard.tasks.roll_up_and_expire_events",
    "schedule": float(env_int("DASHBOARD_ROLLUP_SECONDS", 300)),
}

# Coordination and the rider-friendliness index (coordination/, docs/friendliness.md)
CELERY_BEAT_SCHEDULE["coordination-friendliness-snapshots"] = {
    "task": "coordination.tasks.snapshot_all",
    "schedule": 3600.0,  # one row per community and day; later runs update today's row
}
CELERY_BEAT_SCHEDULE["coordination-reminders"] = {
    "task": "coordination.tasks.send_reminders",
    "schedule": 3600.0,
}
COORDINATION_REMIND_DAYS_BEFORE = env_int("COORDINATION_REMIND_DAYS_BEFORE", 2)

# Riders' personal data (riders/privacy.py, docs/privacy.md)
# A rider with no active grant, no event and no change for this many days is erased.
RIDERS_INACTIVE_PURGE_DAYS = env_int("RIDERS_INACTIVE_PURGE_DAYS", 365)
RIDERS_PURGE_BATCH = env_int("RIDERS_PURGE_BATCH", 500)
CELERY_BEAT_SCHEDULE["riders-purge-inactive"] = {
    "task": "riders.tasks.purge_inactive_riders",
    "schedule": float(env_int("RIDERS_PURGE_SECONDS", 3600)),
}

from .security import *  # noqa: E402,F403
