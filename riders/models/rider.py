"""Riders, a platform's deactivation of a rider id, and the rider's devices."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.masking import mask_phone
from core.media import private_storage

from .platforms import Platform


class Rider(models.Model):
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="riders", verbose_name=_("platform")
    )
    platform_rider_id = models.CharField(_("rider id at the platform"), max_length=100)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    photo = models.ImageField(_("photo"), upload_to="riders/", blank=True, storage=private_storage)
    station = models.CharField(_("station"), max_length=100, blank=True)
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=40, blank=True)
    verified_by_platform = models.BooleanField(
        _("verified by the platform"),
        default=False,
        help_text=_("Registered through a signed assertion of the platform."),
    )
    platform_active = models.BooleanField(
        _("active at the platform"),
        default=True,
        help_text=_("Cleared when the platform deactivates the rider."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("rider")
        verbose_name_plural = _("riders")
        ordering = ["name"]
        # Global (user or group): unmasked phones on one rider's page, each view audited.
        permissions = [("view_personal_data", _("Can view riders' personal data unmasked"))]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_rider_id"], name="rider_unique_per_platform"
            )
        ]
        indexes = [
            models.Index(fields=["name"], name="rider_name_idx"),
            models.Index(fields=["vehicle_plate"], name="rider_plate_idx"),
            # The office form finds a rider's number whatever its case (a person typed it).
            models.Index(Upper("platform_rider_id"), "platform", name="rider_id_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class RiderDeactivation(models.Model):
    """A platform deactivated this rider id. Kept apart from the Rider row, with nothing
    personal (no name, no phone), so it survives the rider erasing their data: registering
    again under the same id gives a rider the platform has still deactivated."""

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="+", verbose_name=_("platform")
    )
    platform_rider_id = models.CharField(_("rider id at the platform"), max_length=100)
    deactivated_at = models.DateTimeField(_("deactivated"), default=timezone.now)

    class Meta:
        verbose_name = _("rider deactivated by the platform")
        verbose_name_plural = _("riders deactivated by the platform")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_rider_id"], name="rider_deactivation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.platform_rider_id}"


class RiderDevice(models.Model):
    """A rider's phone browser. The HttpOnly cookie holds a random token; only its SHA-256
    is stored, so a database leak does not hand out working cookies.

    `verified`: bound by the platform's signed assertion (one-click link). A device bound
    by the hand-registration form proves nothing about who holds it: when the platform
    first vouches for the rider, every unverified device is dropped, so whoever typed the
    rider's number first does not keep their pass (docs/security.md)."""

    rider = models.ForeignKey(
        Rider, on_delete=models.CASCADE, related_name="devices", verbose_name=_("rider")
    )
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    verified = models.BooleanField(
        _("bound by the platform"),
        default=False,
        help_text=_("Bound through the platform's one-click link, not the hand-made form."),
    )

    class Meta:
        verbose_name = _("rider device")
        verbose_name_plural = _("rider devices")

    def __str__(self) -> str:
        return f"{self.rider} #{self.pk}"
