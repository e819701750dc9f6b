"""Celery tasks for votes: thin, take ids, call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .models import Resolution
from .services import resolution_close, resolutions_close_due
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
def close_resolution(resolution_id: int) -> str:
    resolution = resolution_close(resolution=Resolution(pk=resolution_id), acting_user=None)
    return resolution.state


@shared_task(**TASK_OPTIONS)
def send_vote_reminders() -> int:
    """Beat, hourly: remind owners who have not voted, once, before the vote closes."""
    return reminders_send()
