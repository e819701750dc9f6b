"""Issue 21.3: communities.maplayout places markers so none hides another at phone width."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from communities.maplayout import GLYPH, PHONE_MAP_WIDTH, _Box, _hit, _label_width, map_layout


def _place(x: float, y: float) -> SimpleNamespace:
    return SimpleNamespace(x_pct=Decimal(str(x)), y_pct=Decimal(str(y)))


def test_a_lone_marker_stays_where_it_is():
    gate = _place(30, 40)
    map_layout(places=[(gate, "South Gate")], buildings=[], aspect=1.2)
    assert (gate.map_x, gate.map_y) == (30.0, 40.0)


def test_crowded_markers_are_drawn_apart_off_the_buildings():
    # Sky Harbour's corner: a gate, a cabinet and the hand-off point within 3 % of each
    # other, beside a building; and the same spot repeated five times.
    places = [
        (_place(50, 98), "南门 South Gate"),
        (_place(53, 95), ""),
        (_place(56, 96), "Hand-off point"),
    ]
    places += [(_place(20, 20), f"Gate {n}") for n in range(5)]
    buildings = [_place(52, 90)]
    aspect = 1.0
    map_layout(places=places, buildings=buildings, aspect=aspect)
    width, height = PHONE_MAP_WIDTH, PHONE_MAP_WIDTH / aspect
    rects = [
        _Box(
            item,
            float(item.map_x) / 100 * width,
            float(item.map_y) / 100 * height,
            _label_width(label) if label else 0.0,
            item.map_east,
            True,
        ).rect()
        for item, label in places
    ]
    rects.append(_Box(None, 0.52 * width, 0.9 * height, 0.0, False, False).rect())
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not _hit(a, b)
        # Inside the map (a glyph may touch the edge).
        assert a[0] >= -2 and a[2] <= width + 2 and a[1] >= -2 and a[3] <= height + 2
    # Nobody is sent far: within the search radius (14 rings of 8 px) of home.
    for item, _ in places:
        dx = (float(item.map_x) - float(item.x_pct)) / 100 * width
        dy = (float(item.map_y) - float(item.y_pct)) / 100 * height
        assert (dx * dx + dy * dy) ** 0.5 <= 14 * 8 + GLYPH
