"""A community's buildings and the homes (units) inside them."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .abstract import MapMarker
from .company import Community


class Building(MapMarker):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("community")
    )
    number = models.CharField(
        _("building number"), max_length=20, help_text=_("As on the sign, e.g. 7 or 7A.")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["community", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "number"], name="building_number_unique_in_community"
            )
        ]

    def __str__(self) -> str:
        return self.name or str(_("Building %(number)s") % {"number": self.number})


class Unit(models.Model):
    """A home: building, entrance (单元, may be empty) and house number."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="units", verbose_name=_("building")
    )
    entrance = models.CharField(
        _("entrance (单元)"), max_length=20, blank=True, help_text=_("Leave empty if none.")
    )
    number = models.CharField(_("house number"), max_length=20)
    exclusive_area = models.DecimalField(
        _("exclusive area (m²)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "entrance", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "entrance", "number"], name="house_number_unique_in_building"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """`7-2-1503` style label; needs the building (select_related it in lists)."""
        parts = [self.building.number, self.entrance, self.number]
        return "-".join(p for p in parts if p)
