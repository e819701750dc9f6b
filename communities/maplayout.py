"""Where the site map's place markers are drawn, so they never hide each other on a phone.

Markers are drawn in CSS pixels over an image that is only ~328 px wide on a 360-px
phone: gates, parking zones, rest stations, cabinets and the hand-off point that sit a few
metres apart overlap there. `map_layout` moves each place to the nearest free spot (off
the building markers, which stay put), computed for that narrowest width;
wider screens and the zoomed map only spread them further, because markers keep their
pixel size while the image grows. Gate, parking and hand-off labels are part of each
marker's box, on the side that keeps them inside the map.

Each item gets `map_x` / `map_y` (percent, where to draw) and `map_east` (label on the
left); the true position stays in `x_pct` / `y_pct`.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

#: Width of the map on a 360-px phone (16 px page padding and 4 px map padding each side).
PHONE_MAP_WIDTH = 320.0
GLYPH = 30.0  # a 1.5rem glyph with its border and shadow, plus room for the highlight ring
LABEL_HEIGHT = 18.0
GAP = 2.0


def _label_width(text: str) -> float:
    """Rough width of a 12-px bold label: wide (CJK) characters ~12.5 px, others ~7 px."""
    width = 0.0
    for ch in text:
        width += 12.5 if unicodedata.east_asian_width(ch) in ("W", "F") else 7.0
    return width + 10.0  # padding


@dataclass
class _Box:
    item: Any
    x: float  # centre of the glyph, px
    y: float
    label: float  # label width, px (0: none)
    east: bool
    movable: bool

    def rect(self) -> tuple[float, float, float, float]:
        half = GLYPH / 2
        left, right = self.x - half, self.x + half
        top, bottom = self.y - half, self.y + half
        if self.label:
            if self.east:
                left -= self.label + GAP
            else:
                right += self.label + GAP
        return left, top, right, bottom


def map_layout(
    *,
    places: list[tuple[Any, str]],
    buildings: list[Any],
    aspect: float,
    width: float = PHONE_MAP_WIDTH,
) -> None:
    """Set `map_x`, `map_y`, `map_east` on each place (`(item, label or "")`, items with
    a marker only) so that no two places, and no place and building, overlap at `width`
    px. Greedy, in the order given (put what must stay put first): each place takes the
    free spot nearest to its true position (rings of 8 px, 16 directions, label on either
    side), so a lone marker never moves and a crowded one moves as little as it can."""
    height = width / (aspect or 1.0)
    placed: list[tuple[float, float, float, float]] = []
    for b in buildings:
        if b.x_pct is None or b.y_pct is None:
            continue
        x = float(b.x_pct) / 100 * width
        y = float(b.y_pct) / 100 * height
        placed.append(_Box(b, x, y, 0.0, False, False).rect())

    for item, label in places:
        x0 = float(item.x_pct) / 100 * width
        y0 = float(item.y_pct) / 100 * height
        lw = _label_width(label) if label else 0.0
        prefer_east = x0 > width * 0.6
        chosen = None
        for dx, dy in OFFSETS:
            x, y = x0 + dx, y0 + dy
            for east in (prefer_east, not prefer_east) if lw else (False,):
                rect = _Box(item, x, y, lw, east, True).rect()
                if _inside(rect, width, height) and not any(_hit(rect, r) for r in placed):
                    chosen = (x, y, east, rect)
                    break
            if chosen:
                break
        if chosen is None:  # nowhere free within reach: draw it where it is
            chosen = (x0, y0, prefer_east, _Box(item, x0, y0, lw, prefer_east, True).rect())
        x, y, east, rect = chosen
        placed.append(rect)
        item.map_x = round(x / width * 100, 2)
        item.map_y = round(y / height * 100, 2)
        item.map_east = east


RING = 8.0
RINGS = 14


def _offsets() -> list[tuple[float, float]]:
    out = [(0.0, 0.0)]
    for ring in range(1, RINGS + 1):
        r = ring * RING
        for k in range(16):
            angle = math.pi / 2 + k * math.pi / 8  # straight down first, then around
            out.append((round(r * math.cos(angle), 2), round(r * math.sin(angle), 2)))
    return out


OFFSETS = _offsets()


def _inside(rect: tuple[float, float, float, float], width: float, height: float) -> bool:
    left, top, right, bottom = rect
    return left >= -2 and top >= -2 and right <= width + 2 and bottom <= height + 2


def _hit(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0 and min(a[3], b[3]) - max(a[1], b[1]) > 0


def sitemap_prepare(data: Any) -> None:
    """Lay out the markers of a `RulesPageData` (rules page, gate page) in the current
    language (labels' widths depend on it; pages are cached per language)."""
    from django.utils.translation import gettext

    from .selectors import _aspect

    places: list[tuple[Any, str]] = []
    # The hand-off point first: pushed last in each round's pairs, it moves least.
    if data.rules is not None and data.rules.has_marker:
        places.append((data.rules, gettext("Hand-off point")))
    places += [(g, g.name) for g in data.gates if g.has_marker]
    places += [(z, z.name) for z in data.parking_zones if z.has_marker]
    places += [(s, "") for s in data.rest_stations if s.has_marker]
    places += [(f, "") for f in data.facilities if f.has_marker]
    map_layout(places=places, buildings=data.buildings, aspect=_aspect(data.community))
