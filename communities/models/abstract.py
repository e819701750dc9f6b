"""What places inside a community share: a marker on the site map and opening hours.

Positions on a community's site map are percentages of the image (0–100, origin top-left),
so a marker stays put when the image is shown at any size.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class MapMarker(models.Model):
    """A point on the community's site map, in percent of the image's width and height."""

    x_pct = models.DecimalField(
        _("x on the map (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
    )
    y_pct = models.DecimalField(
        _("y on the map (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
    )

    class Meta:
        abstract = True

    @property
    def has_marker(self) -> bool:
        return self.x_pct is not None and self.y_pct is not None

    def clean_marker(self) -> None:
        if (self.x_pct is None) != (self.y_pct is None):
            raise ValidationError(
                _("Set both coordinates of the marker, or neither: click the site map.")
            )
        for field in ("x_pct", "y_pct"):
            value = getattr(self, field)
            if value is not None and not (Decimal("0") <= value <= Decimal("100")):
                raise ValidationError(
                    {field: _("The marker must lie on the site map (0 to 100 %).")}
                )

    def clean(self) -> None:
        super().clean()
        self.clean_marker()


def time_in_window(start, end, moment) -> bool:
    """Whether the time of day `moment` lies in [start, end). No window (either end None)
    means all day; `end` before `start` means the window runs past midnight."""
    if start is None or end is None:
        return True
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


class OpeningHours(models.Model):
    """Daily hours; both empty means open around the clock. Closing before opening is
    allowed and means the hours run past midnight (22:00–06:00)."""

    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_all_day(self) -> bool:
        return self.opens_at is None and self.closes_at is None

    def is_open_at(self, moment) -> bool:
        """Whether the hours include the time of day `moment` (a `datetime.time`)."""
        return time_in_window(self.opens_at, self.closes_at, moment)

    def clean_hours(self) -> None:
        if (self.opens_at is None) != (self.closes_at is None):
            raise ValidationError(
                _("Give both the opening and the closing time, or neither for all day.")
            )
        if self.opens_at is not None and self.opens_at == self.closes_at:
            raise ValidationError(
                _("Opening and closing times are the same; leave both empty for all day.")
            )


class PlaceTexts(models.Model):
    """What riders read of a place (parking zone, rest station, facility): its name and
    notes in Chinese and, optionally, English (core.i18n_text falls back visibly), and a
    note the system wrote (e.g. "planned by resolution #N") as a code and its parameters,
    translated when shown; `notes` keeps what older rows stored."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    notes_en = models.CharField(_("notes (English)"), max_length=300, blank=True)
    notes_code = models.CharField(_("generated note"), max_length=40, blank=True, editable=False)
    notes_params = models.JSONField(
        _("generated note's values"), default=dict, blank=True, editable=False
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name
