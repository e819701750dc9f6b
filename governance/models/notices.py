"""The property company's notices to owners."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """A property announcement shown on owners' pages (and the rules page, if it wants)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("community"),
    )
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    body_en = models.TextField(_("text (English)"), blank=True)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    expires_at = models.DateTimeField(_("shown until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at"]
        indexes = [models.Index(fields=["community", "-published_at"])]

    def __str__(self) -> str:
        return self.title
