"""Pluggable ways to reach owners: a notifier for reminders (settings
GOVERNANCE_NOTIFIER, default console) and an SMS backend for log-in codes (settings
SMS_BACKEND, default console). Each is a dotted path to a class with `send(...)`."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from .models import Owner

logger = logging.getLogger("governance.notify")


class ConsoleNotifier:
    """Writes the message to stdout (and the log): the default for a laptop and tests."""

    def send(self, *, owner: Owner, subject: str, body: str) -> bool:
        sys.stdout.write(f"[notify] to {owner.name} <{owner.phone}>: {subject}\n{body}\n")
        logger.info("notify owner=%s subject=%s", owner.pk, subject)
        return True


class EmailNotifier:
    """E-mails owners whose log-in has an e-mail address; others are skipped."""

    def send(self, *, owner: Owner, subject: str, body: str) -> bool:
        email = getattr(owner.user, "email", "") if owner.user_id else ""
        if not email:
            return False
        send_mail(subject, body, None, [email], fail_silently=False)
        return True


class ConsoleSMS:
    """Prints the text message instead of sending it."""

    def send(self, *, phone: str, text: str) -> None:
        sys.stdout.write(f"[sms] to {phone}: {text}\n")
        logger.info("sms to %s****", phone[:3])


def notifier():
    path = getattr(settings, "GOVERNANCE_NOTIFIER", "governance.notify.ConsoleNotifier")
    return import_string(path)()


def sms_backend():
    return import_string(getattr(settings, "SMS_BACKEND", "governance.notify.ConsoleSMS"))()


def staff_tell_handoff_needed(resolution) -> int:
    """E-mail the property company's staff that a passed no-entry resolution waits for a
    hand-off point (besides the warning on their pages). Returns how many were told."""
    from django.contrib.auth import get_user_model

    community = resolution.community
    group_id = community.company.staff_group_id
    if group_id is None:
        return 0
    emails = sorted(
        set(
            get_user_model()
            .objects.filter(groups__id=group_id, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not emails:
        logger.warning("resolution %s needs a hand-off point; no staff e-mail", resolution.pk)
        return 0
    subject = f"[Last100] {community.name}: resolution #{resolution.number} needs a hand-off point"
    body = (
        f"Owners passed resolution #{resolution.number} ({resolution.title}): riders may no "
        f"longer enter {community.name}. Publish the hand-off point where riders hand food "
        f"over, so the new rules take effect: /vote/staff/{community.slug}/{resolution.pk}/"
    )
    send_mail(subject, body, None, emails, fail_silently=True)
    return len(emails)
