"""What a community offers riders inside: parking zones, rest stations and delivery
facilities (food cabinets, parcel lockers, robot pick-up points)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .abstract import MapMarker, OpeningHours
from .company import Community


class ParkingZone(MapMarker):
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="parking_zones",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (e-bikes)"), default=0)
    has_charging = models.BooleanField(_("e-bike charging"), default=False)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    notes_en = models.CharField(_("notes (English)"), max_length=300, blank=True)
    # A note the system wrote (e.g. "planned by resolution #N"): a code and its parameters,
    # translated when shown (core.i18n_text); `notes` keeps what older rows stored.
    notes_code = models.CharField(_("generated note"), max_length=40, blank=True, editable=False)
    notes_params = models.JSONField(
        _("generated note's values"), default=dict, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("rider parking zone")
        verbose_name_plural = _("rider parking zones")
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name


class RestStation(MapMarker, OpeningHours):
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="rest_stations",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    has_water = models.BooleanField(_("drinking water"), default=False)
    has_charging = models.BooleanField(_("phone charging"), default=False)
    has_toilet = models.BooleanField(_("toilet"), default=False)
    has_microwave = models.BooleanField(_("microwave"), default=False)
    has_shade = models.BooleanField(_("shade / air conditioning"), default=False)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    notes_en = models.CharField(_("notes (English)"), max_length=300, blank=True)
    # A note the system wrote (e.g. "planned by resolution #N"): a code and its parameters,
    # translated when shown (core.i18n_text); `notes` keeps what older rows stored.
    notes_code = models.CharField(_("generated note"), max_length=40, blank=True, editable=False)
    notes_params = models.JSONField(
        _("generated note's values"), default=dict, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("rest station")
        verbose_name_plural = _("rest stations")
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.clean_hours()


class DeliveryFacility(MapMarker, OpeningHours):
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
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (compartments)"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    notes_en = models.CharField(_("notes (English)"), max_length=300, blank=True)
    # A note the system wrote (e.g. "planned by resolution #N"): a code and its parameters,
    # translated when shown (core.i18n_text); `notes` keeps what older rows stored.
    notes_code = models.CharField(_("generated note"), max_length=40, blank=True, editable=False)
    notes_params = models.JSONField(
        _("generated note's values"), default=dict, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("delivery facility")
        verbose_name_plural = _("delivery facilities")
        ordering = ["community", "kind", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.clean_hours()
