"""Issue 21.3: communities.maplayout places markers so none hides another at phone width."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from communities.maplayout import (
    GLYPH,
    PHONE_MAP_WIDTH,
    RING,
    RINGS,
    _hit,
    _label_width,
    glyph_rect,
    label_rect,
    map_layout,
)


def _place(x: float, y: float) -> SimpleNamespace:
    return SimpleNamespace(x_pct=Decimal(str(x)), y_pct=Decimal(str(y)))


def test_a_lone_marker_stays_where_it_is():
    gate = _place(30, 40)
    map_layout(places=[(gate, "South Gate")], buildings=[], aspect=1.2)
    assert (gate.map_x, gate.map_y, gate.map_side, gate.map_label) == (30.0, 40.0, "right", True)


def test_crowded_markers_are_drawn_apart_off_the_buildings():
    # Sky Harbour's south edge: parking, gate, hand-off point, cabinet and rest station in
    # a row 6 % apart (19 px on a phone), a robot point above; and one spot used five times.
    places = [
        (_place(56, 96), "Hand-off point"),
        (_place(50, 97), "南门 South Gate"),
        (_place(40, 96), "南门外骑手停车区 Street parking", True),
        (_place(68, 96), ""),
        (_place(62, 96), ""),
        (_place(47, 88), ""),
    ]
    places += [(_place(20, 20), f"Gate {n}") for n in range(5)]
    building = _place(52, 80)
    aspect = 4 / 3
    map_layout(places=places, buildings=[building], aspect=aspect)
    width, height = PHONE_MAP_WIDTH, PHONE_MAP_WIDTH / aspect

    def px(item):
        return float(item.map_x) / 100 * width, float(item.map_y) / 100 * height

    rects = [glyph_rect(0.52 * width, 0.8 * height)]
    for item, label, *_ in places:
        x, y = px(item)
        rects.append(glyph_rect(x, y))
        if item.map_label:
            rects.append(label_rect(x, y, _label_width(label), item.map_side))
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not _hit(a, b), (a, b)
        assert a[0] >= -2 and a[2] <= width + 2 and a[1] >= -2 and a[3] <= height + 2
    # Required labels are drawn; nobody is sent beyond the search radius.
    assert all(item.map_label for item, label, *rest in places if label and not rest)
    for item, *_ in places:
        x, y = px(item)
        x0, y0 = float(item.x_pct) / 100 * width, float(item.y_pct) / 100 * height
        assert ((x - x0) ** 2 + (y - y0) ** 2) ** 0.5 <= RINGS * RING + GLYPH
    # Unlabelled glyphs stay near home: within three glyph widths (the row is full).
    for item, *_ in places[3:6]:
        x, y = px(item)
        x0, y0 = float(item.x_pct) / 100 * width, float(item.y_pct) / 100 * height
        assert ((x - x0) ** 2 + (y - y0) ** 2) ** 0.5 <= 3 * GLYPH
