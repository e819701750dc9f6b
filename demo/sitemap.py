"""The demo communities' site maps, drawn with Pillow from the same layout that places
the markers, so a building's marker sits on its footprint. Labels on the image are digits
and Latin letters only: no CJK font is guaranteed on the machine.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from communities.models import Community

from .specs import CommunitySpec, GateSpec

MAP_WIDTH = 1200
MAP_HEIGHT = 900
#: The community's wall; below it runs the public street (hand-off points lie there).
WALL = (30, 30, 1170, 820)
STREET_Y = (838, 892)
RING_INSET = 88  # the ring road, measured from the wall
ROAD = 34  # road width in pixels


@dataclass(frozen=True)
class Footprint:
    number: str
    box: tuple[int, int, int, int]  # pixels: left, top, right, bottom

    @property
    def centre_pct(self) -> tuple[Decimal, Decimal]:
        left, top, right, bottom = self.box
        return _pct((left + right) / 2, MAP_WIDTH), _pct((top + bottom) / 2, MAP_HEIGHT)


def _pct(pixels: float, total: int) -> Decimal:
    return Decimal(str(round(pixels * 100 / total, 2))).quantize(Decimal("0.01"))


def building_footprints(count: int) -> list[Footprint]:
    """Buildings in two rows, north and south of the central road, numbered west to east
    along the north row and then the south row."""
    cols = math.ceil(count / 2)
    left = WALL[0] + RING_INSET + ROAD + 24
    right = WALL[2] - RING_INSET - ROAD - 24
    centre_y = (WALL[1] + WALL[3]) // 2
    cell = (right - left) / cols
    width = int(min(150, cell - 36))
    height = 96
    rows = (
        (centre_y - ROAD // 2 - 70 - height, centre_y - ROAD // 2 - 70),
        (centre_y + ROAD // 2 + 70, centre_y + ROAD // 2 + 70 + height),
    )
    out = []
    for index in range(count):
        row, col = divmod(index, cols)
        cx = left + cell * (col + 0.5)
        top, bottom = rows[row]
        out.append(
            Footprint(str(index + 1), (int(cx - width / 2), top, int(cx + width / 2), bottom))
        )
    return out


def gate_position(gate: GateSpec) -> tuple[Decimal, Decimal]:
    """Gates sit on the wall; `at` is the percent along that side."""
    if gate.side == "north":
        return Decimal(str(gate.at)), _pct(WALL[1], MAP_HEIGHT)
    if gate.side == "south":
        return Decimal(str(gate.at)), _pct(WALL[3], MAP_HEIGHT)
    if gate.side == "west":
        return _pct(WALL[0], MAP_WIDTH), Decimal(str(gate.at))
    return _pct(WALL[2], MAP_WIDTH), Decimal(str(gate.at))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _centred_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, **kw) -> None:
    draw.text(xy, text, anchor="mm", **kw)


def draw_site_map(spec: CommunitySpec) -> bytes:
    """The community's site map as a PNG: street, wall, lawns, roads, numbered buildings
    and gates (green where riders may pass, red where they may not)."""
    image = Image.new("RGB", (MAP_WIDTH, MAP_HEIGHT), "#e9e5dc")
    draw = ImageDraw.Draw(image)
    small, medium, large = _font(18), _font(26), _font(34)

    # The public street below the wall.
    draw.rectangle((0, STREET_Y[0], MAP_WIDTH, STREET_Y[1]), fill="#8d8d8d")
    for x in range(20, MAP_WIDTH, 80):
        draw.rectangle((x, 863, x + 40, 867), fill="#f2f2f2")
    draw.rectangle((40, 850, 300, 880), fill="#5f5f5f")
    _centred_text(draw, (170, 865), spec.street, fill="#ffffff", font=small)

    # Grounds, lawns and the wall.
    draw.rectangle(WALL, fill="#cfe6c3")
    inner = (
        WALL[0] + RING_INSET + ROAD,
        WALL[1] + RING_INSET + ROAD,
        WALL[2] - RING_INSET - ROAD,
        WALL[3] - RING_INSET - ROAD,
    )
    draw.rectangle(inner, fill="#b9dca8")
    for cx, cy in ((inner[0] + 40, inner[1] + 30), (inner[2] - 60, inner[3] - 56)):
        for dx, dy in ((0, 0), (26, 10), (10, 28)):
            draw.ellipse((cx + dx - 12, cy + dy - 12, cx + dx + 12, cy + dy + 12), fill="#7fb069")

    # Ring road, central road and the roads out to each gate.
    ring = (
        WALL[0] + RING_INSET,
        WALL[1] + RING_INSET,
        WALL[2] - RING_INSET,
        WALL[3] - RING_INSET,
    )
    draw.rectangle(ring, outline="#fafafa", width=ROAD)
    centre_y = (WALL[1] + WALL[3]) // 2
    draw.rectangle((ring[0], centre_y - ROAD // 2, ring[2], centre_y + ROAD // 2), fill="#fafafa")
    for gate in spec.gates:
        gx, gy = gate_position(gate)
        px, py = float(gx) * MAP_WIDTH / 100, float(gy) * MAP_HEIGHT / 100
        half = ROAD // 2
        if gate.side in ("north", "south"):
            y0, y1 = sorted((py, ring[1] if gate.side == "north" else ring[3]))
            draw.rectangle((px - half, y0, px + half, y1), fill="#fafafa")
        else:
            x0, x1 = sorted((px, ring[0] if gate.side == "west" else ring[2]))
            draw.rectangle((x0, py - half, x1, py + half), fill="#fafafa")
    draw.rectangle(WALL, outline="#6b5e4f", width=8)

    # Buildings, numbered.
    for footprint in building_footprints(spec.buildings):
        left, top, right, bottom = footprint.box
        draw.rectangle((left + 5, top + 5, right + 5, bottom + 5), fill="#a9a294")
        draw.rectangle(footprint.box, fill="#f4efe3", outline="#5a4f42", width=3)
        _centred_text(
            draw,
            ((left + right) / 2, (top + bottom) / 2),
            footprint.number,
            fill="#2b2b2b",
            font=large,
        )

    # Gates: a gap in the wall, coloured by whether riders may pass.
    for gate in spec.gates:
        gx, gy = gate_position(gate)
        px, py = float(gx) * MAP_WIDTH / 100, float(gy) * MAP_HEIGHT / 100
        colour = "#1b7f3b" if gate.open_to_riders else "#b3261e"
        draw.rectangle((px - 26, py - 12, px + 26, py + 12), fill=colour)
        offset = {"north": (0, 28), "south": (0, -28), "west": (70, 0), "east": (-70, 0)}
        ox, oy = offset[gate.side]
        _centred_text(draw, (px + ox, py + oy), gate.label, fill="#1f1f1f", font=small)

    draw.rectangle((WALL[0] + 14, WALL[1] + 14, WALL[0] + 360, WALL[1] + 56), fill="#ffffff")
    _centred_text(draw, (WALL[0] + 187, WALL[1] + 35), spec.map_title, fill="#1f1f1f", font=medium)
    # North arrow.
    nx, ny = WALL[2] - 40, WALL[1] + 50
    draw.polygon(((nx, ny - 26), (nx - 12, ny + 6), (nx + 12, ny + 6)), fill="#333333")
    _centred_text(draw, (nx, ny + 22), "N", fill="#333333", font=small)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def site_map_ensure(community: Community, spec: CommunitySpec) -> None:
    name = f"site-maps/{spec.slug}.png"
    if community.site_map and community.site_map.storage.exists(community.site_map.name):
        return
    storage = community.site_map.storage
    if storage.exists(name):
        storage.delete(name)  # an orphan from an earlier database: draw it afresh
    community.site_map.save(name.rsplit("/", 1)[1], ContentFile(draw_site_map(spec)), save=True)
