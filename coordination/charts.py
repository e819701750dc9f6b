"""A server-drawn SVG line of the daily index (no JavaScript, no chart library): the
staff trend. Accessible: role="img" with a label; the page lists the same figures."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 320, 120, 24


def trend_svg(points: list[tuple[str, int | None]], *, label: str) -> SafeString:
    """`points`: (day label, score 0–100 or None) in day order. Days without a score
    break the line."""
    if not points:
        return mark_safe("")
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / max(len(points) - 1, 1)

    def xy(i: int, score: int) -> str:
        return f"{PAD + i * step:.1f},{PAD + inner_h * (1 - score / 100):.1f}"

    segments: list[list[str]] = [[]]
    dots = []
    for i, (_day, score) in enumerate(points):
        if score is None:
            segments.append([])
            continue
        segments[-1].append(xy(i, score))
        x, y = xy(i, score).split(",")
        dots.append(f'<circle cx="{x}" cy="{y}" r="3"/>')
    lines = "".join(
        f'<polyline points="{" ".join(seg)}" fill="none" stroke="currentColor" stroke-width="2"/>'
        for seg in segments
        if len(seg) > 1
    )
    grid = "".join(
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{PAD + inner_h * (1 - v / 100):.1f}" '
        f'y2="{PAD + inner_h * (1 - v / 100):.1f}" stroke="#c8ccd2" stroke-width="1"/>'
        f'<text x="2" y="{PAD + inner_h * (1 - v / 100) + 4:.1f}" font-size="10">{v}</text>'
        for v in (0, 50, 100)
    )
    first, last = escape(points[0][0]), escape(points[-1][0])
    axis = (
        f'<text x="{PAD}" y="{HEIGHT - 4}" font-size="10">{first}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" font-size="10" text-anchor="end">{last}</text>'
    )
    return mark_safe(  # noqa: S308 - every interpolated text is escaped above
        f'<svg class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'{grid}{lines}<g fill="currentColor">{"".join(dots)}</g>{axis}</svg>'
    )
