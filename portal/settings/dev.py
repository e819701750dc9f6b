"""Laptop demo: DEBUG on; PostgreSQL, Redis and a Celery worker as in production
(`make run` starts embedded ones: tools/devservices.py)."""

from .base import *  # noqa: F403
from .env import env_bool, env_list, env_networks_check

DEBUG = env_bool("DEBUG", True)
# The demo's gate simulator (`make run`, tools/gatesim) listens on loopback: allow it here,
# never in production's defaults (communities/netguard.py).
GATESYNC_ALLOWED_PRIVATE_NETWORKS = env_list(
    "GATESYNC_ALLOWED_PRIVATE_NETWORKS", ["127.0.0.0/8", "::1/128"]
)
env_networks_check("GATESYNC_ALLOWED_PRIVATE_NETWORKS", GATESYNC_ALLOWED_PRIVATE_NETWORKS)
