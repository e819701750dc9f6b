"""What a community offers riders inside: parking zones, rest stations and delivery
facilities (food cabinets, parcel lockers, robot pick-up points)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .abstract import MapMarker, OpeningHours, PlaceTexts
from .company import Community


class ParkingZone(PlaceTexts, MapMarker):
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="parking_zones",
        verbose_name=_("community"),
    )
    capacity = models.PositiveIntegerField(_("capacity (e-bikes)"), default=0)
    has_charging = models.BooleanField(_("e-bike charging"), default=False)

    class Meta:
        verbose_name = _("rider parking zone")
        verbose_name_plural = _("rider parking zones")
        ordering = ["community", "name"]


class RestStation(PlaceTexts, MapMarker, OpeningHours):
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="rest_stations",
        verbose_name=_("community"),
    )
    has_water = models.BooleanField(_("drinking water"), default=False)
    has_charging = models.BooleanField(_("phone charging"), default=False)
    has_toilet = models.BooleanField(_("toilet"), default=False)
    has_microwave = models.BooleanField(_("microwave"), default=False)
    has_shade = models.BooleanField(_("shade / air conditioning"), default=False)

    class Meta:
        verbose_name = _("rest station")
        verbose_name_plural = _("rest stations")
        ordering = ["community", "name"]

    def clean(self) -> None:
        super().clean()
        self.clean_hours()


class DeliveryFacility(PlaceTexts, MapMarker, OpeningHours):
    class Kind(models.TextChoices):
        FOOD_CABINET = "food_cabinet", _("food cabinet")
        PARCEL_LOCKER = "parcel_locker", _("parcel locker")
        ROBOT_PICKUP = "robot_pickup", _("delivery robot pick-up point")

    class Status(models.TextChoices):
        ACTIVE = "active", _("in service")
        PLANNED = "planned", _("planned")
        OUT_OF_SERVICE = "out_of_service", _("out of service")

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="facilities",
        verbose_name=_("community"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    capacity = models.PositiveIntegerField(_("capacity (compartments)"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("delivery facility")
        verbose_name_plural = _("delivery facilities")
        ordering = ["community", "kind", "name"]

    def clean(self) -> None:
        super().clean()
        self.clean_hours()
