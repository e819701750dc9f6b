"""Celery tasks of the dashboard: thin, call a service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .services import events_retain


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def roll_up_and_expire_events() -> str:
    """Beat (every DASHBOARD_ROLLUP_SECONDS): count new events into hourly roll-ups and
    delete events past retention. Idempotent; a second run at once does nothing."""
    rolled, deleted = events_retain(max_batches=settings.DASHBOARD_ROLLUP_MAX_BATCHES)
    return f"rolled up {rolled.events} events in {rolled.batches} batches, deleted {deleted}"
