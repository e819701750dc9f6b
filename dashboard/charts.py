"""Charts as inline SVG, drawn here from numbers: no chart service, no script.

Every chart is laid out on a 360-unit-wide canvas, the width of a small phone, so at
360 px its text is drawn at its nominal size and on a desktop it only grows. Each carries
a <title> and a <desc> (what a screen reader says: the totals and the largest value)
and is `role="img"` labelled by them. Colours come from classes styled in
static/css/dashboard.css, so the print style can change them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 360


def _nice_max(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at least `value` (axis top)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def _svg(chart_id: str, height: int, title: str, desc: str, body: str) -> SafeString:
    return format_html(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMinYMin meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=height,
        title=title,
        desc=desc,
        body=mark_safe(body),  # noqa: S308 - built below from escaped parts
    )


def _text(x: float, y: float, text: str, cls: str = "chart__label", anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _no_data(chart_id: str, title: str) -> SafeString:
    message = _("No data for this period.")
    return _svg(chart_id, 60, title, message, _text(WIDTH / 2, 34, message, anchor="middle"))


def entries_per_hour(
    chart_id: str, title: str, hourly: Sequence[tuple[dt.datetime, int]]
) -> SafeString:
    """Bars per hour (local time), a labelled tick at each midnight."""
    total = sum(n for _, n in hourly)
    if not total:
        return _no_data(chart_id, title)
    peak_hour, peak = max(hourly, key=lambda item: item[1])
    desc = _("%(total)d entries in all; the busiest hour was %(when)s with %(peak)d.") % {
        "total": total,
        "when": peak_hour.strftime("%m-%d %H:00"),
        "peak": peak,
    }
    left, right, top, bottom, height = 34, 4, 8, 30, 190
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_value = _nice_max(peak)
    step = plot_w / len(hourly)
    parts = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'class="chart__grid"/>'
        )
        parts.append(_text(left - 4, y + 4, f"{int(top_value * fraction)}", anchor="end"))
    for index, (hour, n) in enumerate(hourly):
        x = left + index * step
        if n:
            bar_h = plot_h * n / top_value
            parts.append(
                f'<rect x="{x:.2f}" y="{top + plot_h - bar_h:.2f}" '
                f'width="{max(step - 0.3, 0.8):.2f}" '
                f'height="{bar_h:.2f}" class="chart__bar"><title>'
                f"{escape(hour.strftime('%m-%d %H:00'))}: {n}</title></rect>"
            )
        if hour.hour == 0:
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h + 4}" '
                'class="chart__tick"/>'
            )
            parts.append(_text(x + 2, height - 12, hour.strftime("%m-%d")))
    return _svg(chart_id, height, title, desc, "".join(parts))


def histogram(
    chart_id: str, title: str, labels: Sequence[str], counts: Sequence[int], unit: str
) -> SafeString:
    """Vertical bars, one per bucket, with the count above each."""
    total = sum(counts)
    if not total:
        return _no_data(chart_id, title)
    largest = max(range(len(counts)), key=lambda i: counts[i])
    desc = _("%(total)d in all; most often %(bucket)s %(unit)s (%(count)d).") % {
        "total": total,
        "bucket": labels[largest],
        "unit": unit,
        "count": counts[largest],
    }
    top, bottom, height = 20, 40, 190
    plot_h = height - top - bottom
    slot = WIDTH / len(counts)
    top_value = max(counts)
    parts = []
    for index, (label, n) in enumerate(zip(labels, counts, strict=True)):
        x = index * slot
        bar_h = plot_h * n / top_value
        y = top + plot_h - bar_h
        parts.append(
            f'<rect x="{x + 4:.1f}" y="{y:.1f}" width="{slot - 8:.1f}" height="{bar_h:.1f}" '
            'class="chart__bar"/>'
        )
        parts.append(_text(x + slot / 2, y - 4, str(n), anchor="middle"))
        parts.append(_text(x + slot / 2, height - 22, label, anchor="middle"))
    parts.append(
        _text(WIDTH / 2, height - 4, unit, cls="chart__label chart__muted", anchor="middle")
    )
    parts.append(
        f'<line x1="0" x2="{WIDTH}" y1="{top + plot_h}" y2="{top + plot_h}" class="chart__grid"/>'
    )
    return _svg(chart_id, height, title, desc, "".join(parts))


def horizontal_bars(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, float, str]],
    *,
    tone: str = "",
    empty: str | None = None,
) -> SafeString:
    """One bar per row (label, value, value as text): label and value on a line above
    the bar, so long labels fit a phone."""
    if not rows or not any(value for _, value, _ in rows):
        if empty is None:
            return _no_data(chart_id, title)
        return _svg(chart_id, 60, title, empty, _text(WIDTH / 2, 34, empty, anchor="middle"))
    desc = "; ".join(f"{label}: {text}" for label, _, text in rows)
    row_h, height = 36, 36 * len(rows) + 6
    top_value = max(value for _, value, _ in rows) or 1
    bar_max = WIDTH
    cls = f"chart__bar chart__bar--{tone}" if tone else "chart__bar"
    parts = []
    for index, (label, value, text) in enumerate(rows):
        y = index * row_h
        width = max(bar_max * value / top_value, 1.5 if value else 0)
        parts.append(_text(0, y + 13, label))
        parts.append(_text(WIDTH, y + 13, text, cls="chart__label chart__value", anchor="end"))
        parts.append(f'<rect x="0" y="{y + 18}" width="{width:.1f}" height="12" class="{cls}"/>')
    return _svg(chart_id, height, title, desc, "".join(parts))
