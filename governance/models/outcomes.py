"""What passed resolutions did: the delivery rules they set and the grants they suspended."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .resolutions import Resolution


class RulesDecision(models.Model):
    """Which resolution set a version of a community's delivery rules."""

    rules = models.OneToOneField(
        "communities.DeliveryRules",
        on_delete=models.CASCADE,
        related_name="decision",
        verbose_name=_("delivery rules"),
    )
    resolution = models.ForeignKey(
        Resolution,
        on_delete=models.CASCADE,
        related_name="rules_decisions",
        verbose_name=_("resolution"),
    )

    class Meta:
        verbose_name = _("rules decision")
        verbose_name_plural = _("rules decisions")

    def __str__(self) -> str:
        return f"{self.rules} ← {self.resolution}"


class GrantSuspension(models.Model):
    """A rider's grant a no-entry resolution suspended. A later resolution that lets riders
    in again reinstates exactly these (`lifted_by`), and only while the grant is still
    suspended for that resolution: staff's own suspensions and revocations stay."""

    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, related_name="grant_suspensions"
    )
    grant = models.ForeignKey(
        "riders.AccessGrant", on_delete=models.CASCADE, related_name="resolution_suspensions"
    )
    # The reason written on the grant; a different reason now means staff changed it.
    reason = models.CharField(max_length=200)
    lifted_by = models.ForeignKey(
        Resolution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reinstated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resolution", "grant"], name="suspension_once")
        ]
        indexes = [models.Index(fields=["grant", "lifted_by"])]

    def __str__(self) -> str:
        return f"{self.resolution_id} ⊘ {self.grant_id}"
