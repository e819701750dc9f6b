"""Beat tasks: closing votes at their end, reminding owners who have not voted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.models import Choice, Reminder, ResolutionState
from governance.services.reminders import reminders_send
from governance.tasks import close_due_resolutions

from .factories import owners_each_one_unit, resolution_opened, votes_cast

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_closes_votes_and_sends_reminders():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "governance.tasks.close_due_resolutions" in tasks
    assert "governance.tasks.send_vote_reminders" in tasks


def test_close_task_counts_a_vote_whose_window_ended(community):
    owners = owners_each_one_unit(community, 3)
    resolution = resolution_opened(community)
    votes_cast(resolution, owners, Choice.FOR)
    resolution.closes_at = timezone.now() - dt.timedelta(seconds=1)
    resolution.save(update_fields=["closes_at"])
    assert close_due_resolutions.apply().get() == [resolution.pk]
    resolution.refresh_from_db()
    assert resolution.state == ResolutionState.PASSED
    assert close_due_resolutions.apply().get() == []  # twice: no change


def test_reminders_reach_only_owners_who_have_not_voted_and_only_once(community, capsys):
    voted, waiting = owners_each_one_unit(community, 2)
    resolution = resolution_opened(community, closes_at=timezone.now() + dt.timedelta(days=1))
    votes_cast(resolution, [voted], Choice.FOR)
    assert reminders_send(days_before=2) == 1
    out = capsys.readouterr().out
    assert waiting.name in out and voted.name not in out
    assert f"/vote/{resolution.pk}/" in out
    assert reminders_send(days_before=2) == 0
    assert Reminder.objects.count() == 1


def test_no_reminder_while_the_close_is_far_away(community):
    owners_each_one_unit(community, 2)
    resolution_opened(community, closes_at=timezone.now() + dt.timedelta(days=20))
    assert reminders_send(days_before=2) == 0


def test_reminders_by_email_reach_owners_with_an_address(community, settings, mailoutbox):
    settings.GOVERNANCE_NOTIFIER = "governance.notify.EmailNotifier"
    with_mail, without_mail = owners_each_one_unit(community, 2)
    user = get_user_model().objects.create_user("wang", email="wang@example.com")
    with_mail.user = user
    with_mail.save()
    resolution_opened(community, closes_at=timezone.now() + dt.timedelta(hours=20))
    assert reminders_send(days_before=1) == 1
    assert [m.to for m in mailoutbox] == [["wang@example.com"]]
    assert "Please vote" in mailoutbox[0].subject
    assert without_mail.pk
