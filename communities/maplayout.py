"""Where the site map's place markers are drawn, so they never hide each other on a phone.

Markers are drawn in CSS pixels over an image that is only ~320 px wide on a 360-px
phone: gates, parking zones, rest stations, cabinets and the hand-off point that sit a few
metres apart overlap there. `map_layout` moves each glyph to the nearest free spot (off
the building markers, which stay put) and puts each label on a free side of its glyph,
computed for that narrowest width; wider screens and the zoomed map only spread them
further, because markers keep their pixel size while the image grows.

Each item gets `map_x` / `map_y` (percent, where to draw), `map_side` / `map_east` (where
its label goes) and `map_label`; the true position stays in `x_pct` / `y_pct`.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from core.i18n_text import localized

from .selectors.site_map import map_aspect

#: Width of the map on a 360-px phone (16 px page padding and 4 px map padding each side).
PHONE_MAP_WIDTH = 320.0
GLYPH = 30.0  # a 1.5rem glyph with its border and shadow, plus room for the highlight ring
LABEL_HEIGHT = 18.0


def _label_width(text: str) -> float:
    """Rough width of a 12-px bold label: wide (CJK) characters ~12.5 px, others ~7.6 px."""
    width = 0.0
    for ch in text:
        width += 12.5 if unicodedata.east_asian_width(ch) in ("W", "F") else 7.6
    return width + 10.0  # padding


Rect = tuple[float, float, float, float]  # left, top, right, bottom (px)

#: Where a label may sit beside its glyph ("below-left": below, its right end under the
#: glyph's right edge, so it grows to the left).
SIDES = (
    "right",
    "left",
    "below",
    "above",
    "below-left",
    "below-right",
    "above-left",
    "above-right",
)
EAST_SIDES = ("left", "below-left", "above-left", "below", "above", "right")
LABEL_OFFSET = 17.0  # from the glyph's centre: half the 24-px glyph, the 4-px margin, air


def glyph_rect(x: float, y: float) -> Rect:
    half = GLYPH / 2
    return (x - half, y - half, x + half, y + half)


def label_rect(x: float, y: float, width: float, side: str) -> Rect:
    half_h = LABEL_HEIGHT / 2
    if side == "right":
        return (x + LABEL_OFFSET, y - half_h, x + LABEL_OFFSET + width, y + half_h)
    if side == "left":
        return (x - LABEL_OFFSET - width, y - half_h, x - LABEL_OFFSET, y + half_h)
    top = y + LABEL_OFFSET if side.startswith("below") else y - LABEL_OFFSET - LABEL_HEIGHT
    edge = 12.0  # half the drawn glyph
    if side.endswith("-left"):
        left = x + edge - width
    elif side.endswith("-right"):
        left = x - edge
    else:
        left = x - width / 2
    return (left, top, left + width, top + LABEL_HEIGHT)


def map_layout(
    *,
    places: list[tuple[Any, ...]],
    buildings: list[Any],
    aspect: float,
    width: float = PHONE_MAP_WIDTH,
) -> None:
    """Set `map_x`, `map_y`, `map_side` (where the label goes), `map_east` (label on the
    left) and `map_label` (the label is drawn) on each place: `(item, label or "")`, or
    `(item, label, True)` when the label may be left off. Items must have a marker.

    Greedy, in the order given (what must stay put first: the hand-off point, the gates):
    1. each place takes the free spot nearest its true position (rings of 8 px, 16
       directions), off the buildings and what is already placed; a required label comes
       with its glyph, on the first free side of it, so a gate and its name move together;
       a lone marker never moves;
    2. optional labels (parking zones) go on a free side of their glyph, or are left off
       (the zone is named in the list below the map) rather than moving it away.
    """
    height = width / (aspect or 1.0)
    taken: list[Rect] = []
    for b in buildings:
        if b.x_pct is None or b.y_pct is None:
            continue
        taken.append(glyph_rect(float(b.x_pct) / 100 * width, float(b.y_pct) / 100 * height))

    results: list[tuple[float, float, str]] = []
    for entry in places:
        item, text = entry[0], entry[1]
        optional = len(entry) > 2 and bool(entry[2])
        x0 = float(item.x_pct) / 100 * width
        y0 = float(item.y_pct) / 100 * height
        lw = _label_width(text) if text and not optional else 0.0
        order = EAST_SIDES + SIDES if x0 > width * 0.6 else SIDES
        best, least = (x0, y0, ""), math.inf
        for dx, dy in OFFSETS:
            x, y = x0 + dx, y0 + dy
            glyph = glyph_rect(x, y)
            if not _inside(glyph, width, height):
                continue
            covered = sum(_overlap(glyph, r) for r in taken)
            if covered == 0 and lw:
                side = _free_side(x, y, lw, order, taken, width, height)
                if side:
                    best, least = (x, y, side), 0.0
                    break
                covered = 1.0  # the glyph fits but not its name: look further
            elif covered == 0:
                best, least = (x, y, ""), 0.0
                break
            if covered < least:
                best, least = (x, y, order[0] if lw else ""), covered
        x, y, side = best
        taken.append(glyph_rect(x, y))
        if side:
            taken.append(label_rect(x, y, lw, side))
        results.append((x, y, side))

    # 2. optional labels, where they fit
    glyphs = [glyph_rect(x, y) for x, y, _ in results]
    for i, entry in enumerate(places):
        text = entry[1]
        if not (text and len(entry) > 2 and entry[2]):
            continue
        x, y, _ = results[i]
        lw = _label_width(text)
        order = EAST_SIDES + SIDES if x > width * 0.6 else SIDES
        others = [r for r in taken if r != glyphs[i]]
        side = _free_side(x, y, lw, order, others, width, height)
        if side:
            taken.append(label_rect(x, y, lw, side))
            results[i] = (x, y, side)

    for entry, (x, y, side) in zip(places, results, strict=True):
        item = entry[0]
        item.map_x = round(x / width * 100, 2)
        item.map_y = round(y / height * 100, 2)
        item.map_side = side or "right"
        item.map_east = side == "left"
        item.map_label = bool(side)


def _free_side(x, y, lw, order, taken, width, height) -> str:
    for side in order:
        rect = label_rect(x, y, lw, side)
        if _inside(rect, width, height) and not any(_hit(rect, r) for r in taken):
            return side
    return ""


RING = 8.0
RINGS = 24


def _offsets() -> list[tuple[float, float]]:
    out = [(0.0, 0.0)]
    for ring in range(1, RINGS + 1):
        r = ring * RING
        for k in range(16):
            angle = math.pi / 2 + k * math.pi / 8  # straight down first, then around
            out.append((round(r * math.cos(angle), 2), round(r * math.sin(angle), 2)))
    return out


OFFSETS = _offsets()


def _inside(rect: Rect, width: float, height: float) -> bool:
    left, top, right, bottom = rect
    return left >= -2 and top >= -2 and right <= width + 2 and bottom <= height + 2


def _overlap(a: Rect, b: Rect) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _hit(a: Rect, b: Rect) -> bool:
    return _overlap(a, b) > 0


def sitemap_prepare(data: Any) -> None:
    """Lay out the markers of a `RulesPageData` (rules page, gate page) in the current
    language (labels' widths depend on it; pages are cached per language)."""
    from django.utils.translation import gettext

    places: list[tuple[Any, ...]] = []
    # The hand-off point first: pushed last in each round's pairs, it moves least.
    if data.rules is not None and data.rules.has_marker:
        places.append((data.rules, gettext("Hand-off point")))
    places += [(g, localized(g, "name").text) for g in data.gates if g.has_marker]
    # A parking zone's name may be left off the phone map (it is in the list below) rather
    # than the zone drawn far from where it is.
    places += [(z, localized(z, "name").text, True) for z in data.parking_zones if z.has_marker]
    places += [(s, "") for s in data.rest_stations if s.has_marker]
    places += [(f, "") for f in data.facilities if f.has_marker]
    map_layout(places=places, buildings=data.buildings, aspect=map_aspect(data.community))
