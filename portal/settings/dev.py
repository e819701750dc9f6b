"""Laptop demo: DEBUG on; PostgreSQL, Redis and a Celery worker as in production
(`make run` starts embedded ones: tools/devservices.py)."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS
from .env import env_bool, env_list, env_networks_check

DEBUG = env_bool("DEBUG", True)
# `manage.py seed_demo` and `platform_assertion` (demo/), `generate_load_data` and
# `vote_bench` (bench/): on laptops, in tests and in the bench, never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo", "bench"]
# The demo's gate simulator (`make run`, tools/gatesim) listens on loopback: allow it here,
# never in production's defaults (core/netguard.py).
GATESYNC_ALLOWED_PRIVATE_NETWORKS = env_list(
    "GATESYNC_ALLOWED_PRIVATE_NETWORKS", ["127.0.0.0/8", "::1/128"]
)
env_networks_check("GATESYNC_ALLOWED_PRIVATE_NETWORKS", GATESYNC_ALLOWED_PRIVATE_NETWORKS)
