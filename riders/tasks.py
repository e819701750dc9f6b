"""Celery tasks of riders (gate sync has its own in gatesync/tasks.py): thin, call a
service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .privacy import riders_purge_inactive


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def purge_inactive_riders() -> str:
    """Beat (hourly by default): erase riders inactive for RIDERS_INACTIVE_PURGE_DAYS, a batch at a
    time. Idempotent: erased riders are no longer candidates."""
    done = riders_purge_inactive(
        days=settings.RIDERS_INACTIVE_PURGE_DAYS, limit=settings.RIDERS_PURGE_BATCH
    )
    return f"erased {done} inactive riders"
