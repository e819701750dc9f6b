"""A plain Django for the work floor: no apps, no middleware; the bench database (the same
URL, persistent connections and options as the portal's) and a Redis client of its own."""

import os

import dj_database_url

SECRET_KEY = "bench-work-floor-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.work_floor.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
# As portal.settings.base builds it: the same CONN_MAX_AGE and, on PostgreSQL, jit=off.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
USE_TZ = True
USE_I18N = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
