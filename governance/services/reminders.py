"""Reminding owners who have not voted yet, a few days before a vote closes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Ballot, Owner, Reminder, Resolution, ResolutionState, RollMember
from ..notify import notifier


def reminders_send(*, now: dt.datetime | None = None, days_before: int | None = None) -> int:
    """Remind every owner on the roll of an open resolution closing within `days_before`
    days (settings GOVERNANCE_REMIND_DAYS_BEFORE, default 2) whose voter has no ballot.
    Each owner is reminded once per resolution, however often this runs. Returns the
    number of reminders sent."""
    now = now or timezone.now()
    if days_before is None:
        days_before = getattr(settings, "GOVERNANCE_REMIND_DAYS_BEFORE", 2)
    due = Resolution.objects.filter(
        state=ResolutionState.OPEN,
        opens_at__lte=now,
        closes_at__gt=now,
        closes_at__lte=now + dt.timedelta(days=days_before),
    )
    send = notifier()
    sent = 0
    base = getattr(settings, "PORTAL_BASE_URL", "")
    for resolution in due:
        voted = Ballot.objects.filter(resolution=resolution).values("voter_id")
        reminded = Reminder.objects.filter(resolution=resolution).values("owner_id")
        owner_ids = (
            RollMember.objects.filter(entry__resolution=resolution)
            .exclude(entry_id__in=voted)
            .exclude(owner_id__in=reminded)
            .values_list("owner_id", flat=True)
            .distinct()
        )
        link = base + reverse("governance:detail", args=[resolution.pk])
        for owner in Owner.objects.filter(pk__in=list(owner_ids)).select_related("user"):
            try:
                with transaction.atomic():
                    Reminder.objects.create(resolution=resolution, owner=owner, sent_at=now)
            except IntegrityError:
                continue  # another run reminded this owner just now
            subject = _("Please vote: resolution #%(n)s closes %(date)s") % {
                "n": resolution.number,
                "date": timezone.localtime(resolution.closes_at).strftime("%Y-%m-%d %H:%M"),
            }
            body = _("%(title)s\nVote here: %(link)s") % {"title": resolution.title, "link": link}
            if send.send(owner=owner, subject=subject, body=body):
                sent += 1
    return sent
