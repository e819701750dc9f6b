"""Feedback from riders and owners, staff triage, and property notices."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community
from communities.permissions import VIEW, user_has_community_perm
from core.audit import acting_user_or_none, audit_record
from core.users import ActingUser as User

from ..models import Feedback, Notice, Owner

PHOTO_MAX_BYTES = 5 * 1024 * 1024


@transaction.atomic
def feedback_submit(
    *,
    community: Community,
    category: str,
    text: str,
    place: str = "",
    contact: str = "",
    photo: UploadedFile | None = None,
    owner: Owner | None = None,
    acting_user: User,
) -> Feedback:
    """A report from an owner (`owner` given) or a rider (anonymous, optional contact)."""
    if photo is not None and photo.size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": _("The photo is larger than 5 MB.")})
    feedback = Feedback(
        community=community,
        sender=Feedback.Sender.OWNER if owner else Feedback.Sender.RIDER,
        owner=owner,
        category=category,
        text=(text or "").strip(),
        place=(place or "").strip(),
        contact=(contact or "").strip(),
    )
    if photo is not None:
        feedback.photo = photo
    feedback.full_clean()
    feedback.save()
    audit_record(
        action="feedback_submit",
        obj=feedback,
        acting_user=acting_user,
        community_id=community.pk,
        after={"category": category, "sender": feedback.sender},
    )
    return feedback


@transaction.atomic
def feedback_triage(
    *,
    feedback: Feedback,
    status: str,
    reply: str = "",
    assignee: AbstractBaseUser | None = None,
    acting_user: User,
) -> Feedback:
    """Staff set the status, reply to the sender and assign a colleague."""
    if status not in Feedback.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if assignee is not None and not user_has_community_perm(
        assignee, feedback.community, perm=VIEW
    ):
        raise ValidationError({"assignee": _("Assign someone who works for this community.")})
    if status in (Feedback.Status.RESOLVED, Feedback.Status.REJECTED) and not reply.strip():
        raise ValidationError({"reply": _("Tell the sender what was done, or why not.")})
    before = {"status": feedback.status, "assignee": feedback.assignee_id}
    feedback.status = status
    feedback.reply = reply.strip()
    feedback.assignee = assignee
    feedback.save(update_fields=["status", "reply", "assignee", "updated_at"])
    audit_record(
        action="feedback_triage",
        obj=feedback,
        acting_user=acting_user,
        community_id=feedback.community_id,
        before=before,
        after={"status": status, "assignee": feedback.assignee_id},
    )
    return feedback


@transaction.atomic
def notice_publish(
    *,
    community: Community,
    title: str,
    body: str,
    title_en: str = "",
    body_en: str = "",
    expires_at: dt.datetime | None = None,
    acting_user: User,
) -> Notice:
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": _("A notice must be shown until a future time.")})
    actor = acting_user_or_none(acting_user)
    notice = Notice(
        community=community,
        title=(title or "").strip(),
        body=(body or "").strip(),
        title_en=(title_en or "").strip(),
        body_en=(body_en or "").strip(),
        published_at=now,
        expires_at=expires_at,
        created_by=actor,
    )
    notice.full_clean()
    notice.save()
    audit_record(
        action="notice_publish",
        obj=notice,
        acting_user=acting_user,
        community_id=community.pk,
        after={"title": notice.title},
    )
    return notice
