"""Owners get a log-in two ways: an invitation link (signed, expires) to choose a user
name and password, or a one-time code sent by SMS to the phone on the roll."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.users import ActingUser as User

from ..models import Owner
from ..notify import sms_backend

INVITE_SALT = "governance.invite"
INVITE_MAX_AGE = 14 * 24 * 3600
CODE_TTL = 300
CODE_ATTEMPTS = 5
CODE_RESEND_SECONDS = 60


def invitation_link(owner: Owner) -> str:
    token = signing.TimestampSigner(salt=INVITE_SALT).sign(str(owner.pk))
    base = getattr(settings, "PORTAL_BASE_URL", "")
    return base + reverse("governance:invite", args=[token])


@transaction.atomic
def owner_invite(*, owner: Owner, acting_user: User) -> str:
    """An invitation link for `owner` (valid 14 days); records when they were invited."""
    owner.invited_at = timezone.now()
    owner.save(update_fields=["invited_at"])
    audit_record(action="owner_invite", obj=owner, acting_user=acting_user)
    return invitation_link(owner)


def invitation_owner(token: str) -> Owner:
    """The owner an invitation is for; ValidationError if it is forged, expired or used."""
    try:
        pk = signing.TimestampSigner(salt=INVITE_SALT).unsign(token, max_age=INVITE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(_("This invitation has expired; ask the property office.")) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This invitation link is not valid.")) from exc
    owner = Owner.objects.filter(pk=int(pk)).first()
    if owner is None:
        raise ValidationError(_("This invitation link is not valid."))
    if owner.user_id is not None:
        raise ValidationError(_("This invitation was already used; log in instead."))
    return owner


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str) -> AbstractBaseUser:
    owner = invitation_owner(token)
    owner = Owner.objects.select_for_update().get(pk=owner.pk)
    if owner.user_id is not None:
        raise ValidationError(_("This invitation was already used; log in instead."))
    username = username.strip()
    user_model = get_user_model()
    if not username:
        raise ValidationError({"username": _("Choose a user name.")})
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This user name is taken; choose another.")})
    user = user_model(username=username)
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    owner.user = user
    owner.save(update_fields=["user"])
    audit_record(action="invitation_accept", obj=owner, acting_user=user)
    return user


def _code_key(phone: str) -> str:
    return "gov-login-code:" + hashlib.sha256(phone.encode()).hexdigest()


def _digest(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def login_code_send(*, phone: str) -> bool:
    """Text a 6-digit code to `phone` if an owner has it. Returns whether one was sent;
    pages must say the same thing either way, so phones cannot be probed."""
    phone = phone.strip()
    if not phone or not Owner.objects.filter(phone=phone).exists():
        return False
    if not cache.add(_code_key(phone) + ":wait", 1, CODE_RESEND_SECONDS):
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_code_key(phone), {"digest": _digest(code), "attempts": 0}, CODE_TTL)
    sms_backend().send(
        phone=phone,
        text=_("Your Last100 log-in code is %(code)s. It expires in 5 minutes.") % {"code": code},
    )
    return True


class PhoneOfSeveralOwners(Exception):
    """The code was right, but owners' rolls of more than one property company name this
    phone: which owner the person is cannot be told from the phone, so none is chosen (the
    lowest id let one company's roll capture another company's owner's log-in)."""


@transaction.atomic
def login_code_verify(*, phone: str, code: str) -> AbstractBaseUser | None:
    """The owner's user if `code` is right (creating a log-in on first use); else None.
    Five wrong tries spend the code. PhoneOfSeveralOwners when more than one owner has
    the phone: the person logs in by their invitation link instead."""
    phone = phone.strip()
    key = _code_key(phone)
    entry = cache.get(key)
    if not entry:
        return None
    if entry["attempts"] >= CODE_ATTEMPTS:
        cache.delete(key)
        return None
    if not hmac.compare_digest(entry["digest"], _digest(code.strip())):
        entry["attempts"] += 1
        cache.set(key, entry, CODE_TTL)
        return None
    cache.delete(key)
    owners = list(Owner.objects.select_for_update().filter(phone=phone).order_by("pk")[:2])
    if not owners:
        return None
    if len(owners) > 1:
        # Logged, not audited: the transaction is rolled back by the exception.
        logging.getLogger("last100.security").warning(
            "login_code_ambiguous owners=%s", ",".join(str(o.pk) for o in owners)
        )
        raise PhoneOfSeveralOwners(phone)
    owner = owners[0]
    if owner.user_id is None:
        user = get_user_model()(username=f"owner-{owner.pk}")
        user.set_unusable_password()
        user.save()
        owner.user = user
        owner.save(update_fields=["user"])
    audit_record(action="login_code_verify", obj=owner, acting_user=owner.user)
    return owner.user
