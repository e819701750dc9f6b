"""Printable entry-code posters for a gate: a QR code for PORTAL_BASE_URL/r/<code>/, the
community and gate names and what riders do at this gate (riders.poster_text), in
Chinese and English. PNG (Pillow) or PDF
(Pillow's PDF writer), A4 or A5, at 150 dpi.

The CJK font comes from the pinned PyPI package `noto-cjk-sans-jp-regular` (Noto Sans CJK,
SIL OFL 1.1): it covers simplified Chinese ideographs; system fonts are never used.
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources

import qrcode
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from communities.models import Gate

from .poster_text import poster_text

DPI = 150
#: Page sizes in pixels at DPI (A4 210x297 mm, A5 148x210 mm).
SIZES = {
    "a4": (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI)),
    "a5": (round(148 / 25.4 * DPI), round(210 / 25.4 * DPI)),
}


@lru_cache(maxsize=1)
def _font_path() -> str:
    return str(resources.files("noto_cjk_sans_jp_regular").joinpath("NotoSansCJKjp-Regular.otf"))


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_path(), size)


def poster_url(gate: Gate) -> str:
    return f"{settings.PORTAL_BASE_URL}/r/{gate.entry_code}/"


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> ImageFont.FreeTypeFont:
    """The largest font no bigger than `size` in which `text` fits `width` pixels."""
    while size > 12:
        font = _font(size)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 2
    return _font(size)


def poster_image(gate: Gate, *, size: str = "a4") -> Image.Image:
    width, height = SIZES[size]
    scale = width / SIZES["a4"][0]
    margin = int(80 * scale)
    inner = width - 2 * margin
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)

    # The words say what is true at this gate (register here, use another gate, or hand
    # off): riders.poster_text, the same advice as the gate page.
    words = poster_text(gate)
    y = margin
    for text, pt in (
        (words.title_zh, 84),
        (words.title_en, 52),
        (gate.community.name, 60),
        (gate.name, 48),
    ):
        font = _fit(draw, text, int(pt * scale), inner)
        draw.text((width // 2, y), text, font=font, fill="black", anchor="ma")
        y += int(font.size * 1.35)

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(poster_url(gate))
    qr.make(fit=True)
    qr_image = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    side = int(min(inner * 0.75, height * 0.42))
    modules = qr_image.size[0]
    side = side - side % modules or modules  # whole pixels per module: crisp edges
    qr_image = qr_image.resize((side, side), Image.NEAREST)
    y += int(20 * scale)
    page.paste(qr_image, ((width - side) // 2, y))
    y += side + int(30 * scale)

    for zh, en in words.lines:
        font = _fit(draw, zh, int(44 * scale), inner)
        draw.text((margin, y), zh, font=font, fill="black")
        y += int(font.size * 1.3)
        font = _fit(draw, en, int(34 * scale), inner)
        draw.text((margin, y), en, font=font, fill="#222222")
        y += int(font.size * 1.6)

    small = _font(max(int(22 * scale), 12))
    draw.text(
        (width // 2, height - margin), poster_url(gate), font=small, fill="#333333", anchor="md"
    )
    return page


def poster_bytes(gate: Gate, *, size: str = "a4", fmt: str = "png") -> bytes:
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}")
    if fmt not in ("png", "pdf"):
        raise ValueError(f"unknown format {fmt!r}")
    image = poster_image(gate, size=size)
    out = io.BytesIO()
    if fmt == "pdf":
        image.save(out, format="PDF", resolution=DPI)
    else:
        image.save(out, format="PNG", dpi=(DPI, DPI), optimize=False)
    return out.getvalue()
