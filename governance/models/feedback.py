"""Riders' and owners' reports to the property company."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.media import private_storage

from .owners import Owner


def feedback_token_new() -> str:
    return secrets.token_urlsafe(16)


class Feedback(models.Model):
    """A rider's or an owner's report to the property company, triaged by staff. The
    sender follows it by a secret link (riders need no account)."""

    class Sender(models.TextChoices):
        RIDER = "rider", _("rider")
        OWNER = "owner", _("owner")

    class Category(models.TextChoices):
        ACCESS = "access", _("getting in at the gate")
        HANDOFF = "handoff", _("hand-off point")
        PARKING = "parking", _("parking")
        SIGNS = "signs", _("house-number signs and directions")
        SAFETY = "safety", _("safety")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        NEW = "new", _("new")
        IN_PROGRESS = "in_progress", _("being handled")
        RESOLVED = "resolved", _("resolved")
        REJECTED = "rejected", _("not taken up")

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("community"),
    )
    sender = models.CharField(_("from"), max_length=8, choices=Sender.choices)
    owner = models.ForeignKey(
        Owner, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    contact = models.CharField(_("contact (optional)"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    place = models.CharField(_("where"), max_length=200, blank=True)
    text = models.TextField(_("what happened"), max_length=4000)
    photo = models.ImageField(
        _("photo (optional)"), upload_to="feedback/", blank=True, storage=private_storage
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    reply = models.TextField(_("reply from the property office"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    token = models.CharField(max_length=32, unique=True, default=feedback_token_new)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.text[:40]}"
