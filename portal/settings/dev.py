"""Laptop demo: DEBUG on, SQLite by default, eager tasks unless REDIS_URL is set."""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)
