"""Reminders for the next meeting and for action items coming due: owners of the
community through governance's notifier (the channel of vote reminders), staff and
participants or item owners with an e-mail address by e-mail. Each meeting is announced
once and each item reminded at most once a day, however often the beat task runs: the
row is claimed with a conditional UPDATE before anything is sent."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from governance.models import Owner
from governance.notify import notifier

from .models import ACTION_OPEN_STATUSES, ActionItem, Meeting

logger = logging.getLogger("coordination.reminders")


def _staff_emails(company_group_id: int | None) -> list[str]:
    if company_group_id is None:
        return []
    return sorted(
        set(
            get_user_model()
            .objects.filter(groups__id=company_group_id, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def _mail(subject: str, body: str, to: list[str]) -> int:
    if not to:
        return 0
    send_mail(subject, body, None, to, fail_silently=True)
    return len(to)


def meeting_reminders_send(
    *, now: dt.datetime | None = None, days_before: int | None = None
) -> int:
    """Announce meetings starting within `days_before` days, once each. Returns how many
    people were told."""
    now = now or timezone.now()
    if days_before is None:
        days_before = settings.COORDINATION_REMIND_DAYS_BEFORE
    base = settings.PORTAL_BASE_URL
    told = 0
    due = Meeting.objects.filter(
        reminded_at__isnull=True,
        scheduled_at__gt=now,
        scheduled_at__lte=now + dt.timedelta(days=days_before),
    ).select_related("community__company")
    for meeting in due:
        # Claim first: a second run (or a concurrent worker) finds nothing to claim.
        if not Meeting.objects.filter(pk=meeting.pk, reminded_at__isnull=True).update(
            reminded_at=now
        ):
            continue
        community = meeting.community
        when = timezone.localtime(meeting.scheduled_at).strftime("%Y-%m-%d %H:%M")
        subject = f"[Last100] {community.name}: {meeting.title} {when}"
        link = base + reverse("coordination:agreed", args=[community.slug])
        body = (
            f"{meeting.title}\n{when} {meeting.place}\n\n{meeting.agenda}\n\n"
            f"What was agreed so far: {link}"
        )
        emails = set(_staff_emails(community.company.staff_group_id))
        emails |= set(meeting.participants.exclude(email="").values_list("email", flat=True))
        told += _mail(subject, body, sorted(emails))
        send = notifier()
        owners = Owner.objects.filter(ownerships__unit__building__community=community).distinct()
        for owner in owners.select_related("user"):
            try:
                if send.send(owner=owner, subject=subject, body=body):
                    told += 1
            except Exception:
                logger.exception("meeting reminder to owner %s failed", owner.pk)
    return told


def action_reminders_send(*, now: dt.datetime | None = None, days_before: int | None = None) -> int:
    """Remind the owner (if they gave an e-mail) and the community's staff of open action
    items due within `days_before` days or overdue, at most once a day each."""
    now = now or timezone.now()
    if days_before is None:
        days_before = settings.COORDINATION_REMIND_DAYS_BEFORE
    today = timezone.localdate(now)
    base = settings.PORTAL_BASE_URL
    told = 0
    due = (
        ActionItem.objects.filter(
            status__in=ACTION_OPEN_STATUSES, due_on__lte=today + dt.timedelta(days=days_before)
        )
        .exclude(reminded_on=today)
        .select_related("community__company")
    )
    for item in due:
        claimed = (
            ActionItem.objects.filter(pk=item.pk)
            .exclude(reminded_on=today)
            .update(reminded_on=today)
        )
        if not claimed:
            continue
        community = item.community
        overdue = item.due_on < today
        state = "OVERDUE" if overdue else "due"
        subject = f"[Last100] {community.name}: {state} {item.due_on:%Y-%m-%d}: {item.title}"
        link = base + reverse("coordination:meeting", args=[community.slug, item.meeting_id])
        body = f"{item.title}\n{item.owner_name} — {item.due_on:%Y-%m-%d}\n{link}"
        to = set(_staff_emails(community.company.staff_group_id))
        if item.owner_email:
            to.add(item.owner_email)
        told += _mail(subject, body, sorted(to))
    return told
