"""Security events: log-ins that failed or were locked out, sessions of disabled users."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from .client import client_ip, masked_phone, security_log
from .middleware import session_stamp_login


def masked_username(username: str | None) -> str:
    """Owners' user names are often their phone numbers: mask like a phone, or keep only
    the first and last character."""
    name = (username or "").strip()
    if sum(ch.isdigit() for ch in name) >= 7:
        return masked_phone(name)
    if len(name) <= 2:
        return "*" * len(name)
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


@receiver(user_logged_in)
def _stamp_session(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        session_stamp_login(request)


@receiver(user_login_failed)
def _log_failed_login(sender, credentials, request=None, **kwargs) -> None:
    security_log.warning(
        "login_failed username=%s ip=%s path=%s",
        masked_username(credentials.get("username")),
        client_ip(request) if request is not None else "-",
        request.path if request is not None else "-",
    )


@receiver(user_locked_out)
def _log_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    security_log.warning(
        "login_locked_out username=%s ip=%s", masked_username(username), ip_address
    )


def user_sessions_end(user_id: int) -> int:
    """Delete every live database session of this user; how many. Sessions are signed
    blobs keyed by a random id, so each live one is decoded: this runs when an account is
    disabled, rarely, over the sessions of the last SESSION_COOKIE_AGE."""
    wanted = str(user_id)
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(2000):
        if str(session.get_decoded().get(SESSION_KEY)) == wanted:
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@receiver(post_save, sender=get_user_model())
def _end_sessions_of_disabled_user(sender, instance, created, **kwargs) -> None:
    if not created and not instance.is_active:
        ended = user_sessions_end(instance.pk)
        if ended:
            security_log.info("sessions_ended reason=disabled user:%s count=%d", instance.pk, ended)
