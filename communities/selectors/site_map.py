"""Geometry on a community's site map, shared by the house-number finder and the gate
advice: markers are percentages of the image, so distances need its aspect ratio."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no models: the map layout imports this without Django's app registry
    from ..models import Community


def percent_float(value: Decimal | None) -> float | None:
    """A marker's percent coordinate as a float (None stays None)."""
    return None if value is None else float(value)


def map_aspect(community: Community) -> float:
    """Width / height of the site map, so that 1 % across and 1 % down weigh true to the
    image; 1 when unknown."""
    if community.site_map_width and community.site_map_height:
        return community.site_map_width / community.site_map_height
    return 1.0
