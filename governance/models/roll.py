"""The roll frozen when a resolution opens: its voters and who may cast each ballot."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .owners import Owner
from .resolutions import Resolution


class RollEntry(models.Model):
    """One voter on a resolution's roll, frozen when it opened: their units and area."""

    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, related_name="roll", verbose_name=_("resolution")
    )
    voter_key = models.CharField(_("voter"), max_length=200)
    unit_ids = models.JSONField(_("units"), default=list)
    unit_labels = models.TextField(_("house numbers"))
    # Exclusive area in hundredths of m², so sums are exact integers on every database.
    area_hundredths = models.BigIntegerField(_("area (0.01 m²)"))
    developer = models.BooleanField(_("developer's unsold units"), default=False)
    owners = models.ManyToManyField(
        Owner, through="RollMember", related_name="+", verbose_name=_("who may vote")
    )

    class Meta:
        verbose_name = _("roll entry")
        verbose_name_plural = _("roll entries")
        ordering = ["resolution", "id"]
        constraints = [
            models.UniqueConstraint(fields=["resolution", "voter_key"], name="roll_voter_unique")
        ]

    def __str__(self) -> str:
        return self.unit_labels


class RollMember(models.Model):
    """An owner who may cast the ballot of a roll entry (a co-owned unit has several)."""

    entry = models.ForeignKey(RollEntry, on_delete=models.CASCADE, related_name="members")
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="roll_memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "owner"], name="roll_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} → {self.entry_id}"
