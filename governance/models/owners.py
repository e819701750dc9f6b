"""Owners and the units they hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Owner(models.Model):
    """A person (or the developer) who owns units. May exist before they have a log-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owner",
        verbose_name=_("log-in"),
    )
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ownership(models.Model):
    """`owner` holds `unit`. Several rows for one unit make its co-owners (they vote as one,
    see tally.py); `developer_held` marks the developer's unsold units, which together
    count as one voter whoever the developer's owner row is."""

    unit = models.ForeignKey(
        "communities.Unit",
        on_delete=models.CASCADE,
        related_name="ownerships",
        verbose_name=_("unit"),
    )
    owner = models.ForeignKey(
        Owner, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("owner")
    )
    developer_held = models.BooleanField(_("unsold, held by the developer"), default=False)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.UniqueConstraint(fields=["unit", "owner"], name="ownership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} — {self.unit_id}"
