"""Celery tasks for votes: thin, take ids, call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .services import resolutions_close_due
from .services.reminders import reminders_send

TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": 240,
    "time_limit": 300,
}


@shared_task(**TASK_OPTIONS)
def close_due_resolutions() -> list[int]:
    """Beat, every minute: close and count votes whose window has ended."""
    return resolutions_close_due()


@shared_task(**TASK_OPTIONS)
def send_vote_reminders() -> int:
    """Beat, hourly: remind owners who have not voted, once, before the vote closes."""
    return reminders_send()
