"""Celery tasks of the coordination app: thin, take ids, call a service; safe to run
twice (snapshots update today's row; reminders claim their rows first)."""

from __future__ import annotations

from celery import shared_task

from communities.models import Community
from governance.tasks import TASK_OPTIONS  # the project's task defaults

from .reminders import action_reminders_send, meeting_reminders_send
from .services import friendliness_snapshot_take


@shared_task(**TASK_OPTIONS)
def snapshot_community(community_id: int) -> int | None:
    community = Community.objects.filter(pk=community_id).first()
    if community is None:
        return None
    return friendliness_snapshot_take(community=community).score


@shared_task(**TASK_OPTIONS)
def snapshot_all() -> int:
    """Beat, hourly: one task per community (seven queries each), so a large company's
    thousand communities spread over the workers instead of one long task."""
    ids = list(Community.objects.values_list("pk", flat=True))
    for community_id in ids:
        snapshot_community.delay(community_id)
    return len(ids)


@shared_task(**TASK_OPTIONS)
def send_reminders() -> int:
    """Beat, hourly: the next meeting (once) and action items coming due (once a day)."""
    return meeting_reminders_send() + action_reminders_send()
