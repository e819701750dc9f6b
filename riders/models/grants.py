"""A rider's access grant to a community. Every change to a grant goes through
`riders.services.grants`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n_text import localized

from .rider import Rider


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    REVOKED = "revoked", _("revoked")


class GrantSource(models.TextChoices):
    PLATFORM = "platform", _("platform assertion")
    MANUAL = "manual", _("registered by hand")


GRANT_DEFAULT_VALIDITY = dt.timedelta(days=365)


class AccessGrant(models.Model):
    """A rider's right to enter one community: what gate controllers hold in their list."""

    Status = GrantStatus
    Source = GrantSource

    rider = models.ForeignKey(
        Rider, on_delete=models.CASCADE, related_name="grants", verbose_name=_("rider")
    )
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="grants",
        verbose_name=_("community"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=GrantSource.choices)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    # A reason the system wrote (an owners' resolution suspended the grant): its code and
    # parameters, translated when shown (core.i18n_text); `reason` keeps the text as written.
    reason_code = models.CharField(_("reason code"), max_length=64, blank=True)
    reason_params = models.JSONField(_("reason parameters"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["rider", "community"], name="grant_unique"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="grant_valid_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["community", "status"], name="grant_community_status")]

    def __str__(self) -> str:
        return f"{self.rider_id} @ {self.community_id} ({self.status})"

    @property
    def reason_text(self) -> str:
        """The reason in the page's language (a generated one translated; staff's as typed)."""
        return localized(self, "reason").text

    def is_valid_at(self, now: dt.datetime) -> bool:
        """Active, and `now` inside [valid_from, valid_until)."""
        if self.status != GrantStatus.ACTIVE:
            return False
        if self.valid_from and now < self.valid_from:
            return False
        return not (self.valid_until and now >= self.valid_until)
