"""Laptop demo: DEBUG on; PostgreSQL, Redis and a Celery worker as in production
(`make run` starts embedded ones: tools/devservices.py)."""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)
