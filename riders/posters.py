"""Printable entry-code posters for a gate: a QR code for PORTAL_BASE_URL/r/<code>/, the
community and gate names and what riders do at this gate (riders.poster_text) in Chinese
and English, A4 or A5.

One layout in millimetres (`poster_layout`) drawn by two backends: a vector PDF (fpdf2:
real text in an embedded subset of the font, the QR code as filled squares, so it prints
sharp at any size) and a 150-dpi PNG (Pillow) for screens and quick prints. The QR code
takes the height the text leaves (about 13 cm on A4, 9 cm on A5), so a rider scans it
from 1–2 m, with its 4-module quiet zone kept clear.

The CJK font comes from the pinned PyPI package `noto-cjk-sans-jp-regular` (Noto Sans CJK,
SIL OFL 1.1): it covers simplified Chinese ideographs; system fonts are never used.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import qrcode
from django.conf import settings
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from communities.models import Gate

from .poster_text import poster_text

DPI = 150
#: Page sizes in millimetres, and in pixels at DPI for the PNG.
PAGE_MM = {"a4": (210.0, 297.0), "a5": (148.0, 210.0)}
SIZES = {name: (round(w / 25.4 * DPI), round(h / 25.4 * DPI)) for name, (w, h) in PAGE_MM.items()}
QUIET_MODULES = 4  # the QR code's white border, as ISO/IEC 18004 asks


@lru_cache(maxsize=1)
def _font_path() -> str:
    return str(resources.files("noto_cjk_sans_jp_regular").joinpath("NotoSansCJKjp-Regular.otf"))


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_path(), size)


def poster_url(gate: Gate) -> str:
    return f"{settings.PORTAL_BASE_URL}/r/{gate.entry_code}/"


def poster_filename(gate: Gate, *, size: str, fmt: str) -> str:
    """`<community>-<gate>-<size>.<fmt>`, readable on a shared drive; names keep their
    Chinese characters, anything that cannot be in a file name becomes "-"."""

    def clean(text: str) -> str:
        text = re.sub(r"[\\/:*?\"<>|\x00-\x1f\s]+", "-", text).strip("-.")
        return text[:60] or "gate"

    return f"{clean(gate.community.name)}-{clean(gate.name)}-{gate.pk}-{size}.{fmt}"


def _text_mm(text: str, size_mm: float) -> float:
    """Width of `text` in millimetres at a font size of `size_mm` (measured once at 100 px)."""
    return _font(100).getlength(text) / 100 * size_mm


def _fit_mm(text: str, size_mm: float, width_mm: float) -> float:
    """The largest size no bigger than `size_mm` at which `text` fits `width_mm`."""
    width = _text_mm(text, size_mm)
    return size_mm if width <= width_mm else max(size_mm * width_mm / width, 2.0)


@dataclass(frozen=True)
class Line:
    text: str
    x: float  # mm; the centre when centred, else the left edge
    baseline: float  # mm from the top
    size: float  # font size (em) in mm
    centred: bool
    grey: bool = False


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    lines: list[Line]
    qr_x: float
    qr_y: float
    module: float  # mm per QR module
    modules: list[list[bool]]  # without the quiet zone


def _qr_modules(url: str) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.get_matrix()


def poster_layout(gate: Gate, *, size: str = "a4") -> Layout:
    """Where everything goes, in millimetres: titles at the top, the steps and the address
    at the bottom, and the QR code as large as the space between allows."""
    width, height = PAGE_MM[size]
    scale = width / 210
    margin = 12 * scale
    inner = width - 2 * margin
    lines: list[Line] = []

    # The words say what is true at this gate (register here, use another gate, or hand
    # off): riders.poster_text, the same advice as the gate page.
    words = poster_text(gate)
    y = margin
    titles = (words.title_zh, words.title_en, gate.community.name, gate.name)
    for text, em in zip(titles, (14, 8.5, 10, 8), strict=True):
        em = _fit_mm(text, em * scale, inner)
        y += em * 0.95
        lines.append(Line(text, width / 2, y, em, centred=True))
        y += em * 0.4
    top = y

    url_em = 3.2 * scale
    y = height - margin
    url_line = Line(
        poster_url(gate),
        width / 2,
        y,
        _fit_mm(poster_url(gate), url_em, inner),
        centred=True,
        grey=True,
    )
    y -= url_em * 2.2
    steps: list[Line] = []
    for zh, en in reversed(words.lines):
        en_em = _fit_mm(en, 4.6 * scale, inner)
        steps.append(Line(en, margin, y, en_em, centred=False, grey=True))
        y -= en_em * 1.35
        zh_em = _fit_mm(zh, 6.2 * scale, inner)
        steps.append(Line(zh, margin, y, zh_em, centred=False))
        y -= zh_em * 1.6
    bottom = y + 2 * scale  # the top of the first step's glyphs

    modules = _qr_modules(poster_url(gate))
    count = len(modules)
    whole = count + 2 * QUIET_MODULES
    # The quiet zone may reach into the page's white margin sideways, not into the text.
    module = min((width - 2 * 4 * scale) / whole, (bottom - top) / whole)
    side = module * count
    qr_x = (width - side) / 2
    qr_y = top + (bottom - top - side) / 2
    lines.extend(reversed(steps))
    lines.append(url_line)
    return Layout(width, height, lines, qr_x, qr_y, module, modules)


def _runs(row: list[bool]):
    """(start, length) of each run of dark modules in a row: one rectangle per run."""
    start = None
    for i, dark in enumerate([*row, False]):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            yield start, i - start
            start = None


def poster_image(gate: Gate, *, size: str = "a4") -> Image.Image:
    layout = poster_layout(gate, size=size)
    px = SIZES[size][0] / layout.width  # pixels per millimetre
    page = Image.new("RGB", SIZES[size], "white")
    draw = ImageDraw.Draw(page)
    for line in layout.lines:
        draw.text(
            (line.x * px, line.baseline * px),
            line.text,
            font=_font(max(round(line.size * px), 8)),
            fill="#333333" if line.grey else "black",
            anchor="ms" if line.centred else "ls",
        )
    for r, row in enumerate(layout.modules):
        y0 = round((layout.qr_y + r * layout.module) * px)
        y1 = round((layout.qr_y + (r + 1) * layout.module) * px) - 1
        for start, length in _runs(row):
            x0 = round((layout.qr_x + start * layout.module) * px)
            x1 = round((layout.qr_x + (start + length) * layout.module) * px) - 1
            draw.rectangle((x0, y0, x1, y1), fill="black")
    return page


def poster_pdf(gate: Gate, *, size: str = "a4") -> bytes:
    """A vector PDF: selectable text in an embedded font subset and the QR code drawn as
    rectangles (nothing is a picture)."""
    layout = poster_layout(gate, size=size)
    pdf = FPDF(unit="mm", format=(layout.width, layout.height))
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{gate.community.name} · {gate.name}")
    pdf.set_creator("Last100")
    pdf.add_page()
    pdf.add_font("noto", "", _font_path())
    for line in layout.lines:
        pdf.set_font("noto", size=line.size / 25.4 * 72)
        pdf.set_text_color(0x33 if line.grey else 0)
        x = line.x - pdf.get_string_width(line.text) / 2 if line.centred else line.x
        pdf.text(x, line.baseline, line.text)
    pdf.set_fill_color(0)
    m = layout.module
    for r, row in enumerate(layout.modules):
        for start, length in _runs(row):
            pdf.rect(layout.qr_x + start * m, layout.qr_y + r * m, length * m, m, style="F")
    return bytes(pdf.output())


def poster_bytes(gate: Gate, *, size: str = "a4", fmt: str = "png") -> bytes:
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}")
    if fmt not in ("png", "pdf"):
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "pdf":
        return poster_pdf(gate, size=size)
    out = io.BytesIO()
    poster_image(gate, size=size).save(out, format="PNG", dpi=(DPI, DPI), optimize=False)
    return out.getvalue()
