"""The portal as the bench serves it: the shared base settings with DEBUG forced off.

`portal.settings.prod` would redirect plain HTTP to HTTPS and needs collected static files,
which a loopback benchmark has neither use nor place for; everything that shapes a
request's cost (middleware, templates, database, cache) is the same as in production.
The database and REDIS_URL come from the environment `bench.run` prepares.
"""

from pathlib import Path

from portal.settings.base import *  # noqa: F403
from portal.settings.base import BASE_DIR, INSTALLED_APPS, SECURITY_RATE_LIMITS
from portal.settings.env import env_str

DEBUG = False
# `bench.run` seeds the demo (seed_demo); `bench.scale.run` generates its data set
# (generate_load_data): both commands live in apps production does not install.
INSTALLED_APPS = [*INSTALLED_APPS, "demo", "bench"]
# One loopback client sends every request (one address, one controller): the limits are
# still counted in Redis, so their cost is measured, but never reached.
SECURITY_RATE_LIMITS = dict.fromkeys(SECURITY_RATE_LIMITS, "1000000000/m")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# The bench's gate simulators listen on loopback (core/netguard.py refuses it else).
GATESYNC_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
# bench.run points this at var/bench/<db-name>/media, beside the database it belongs to.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "bench" / "media")))
PRIVATE_MEDIA_ROOT = Path(
    env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "bench" / "private-media"))
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
