"""Small display filters for the dashboard's templates."""

from __future__ import annotations

import datetime as dt

from django import template

from riders.models import Reason

register = template.Library()


@register.filter
def minutes(seconds: float | None) -> str:
    """Seconds as minutes with one decimal: `453` → `7.5`."""
    if seconds is None:
        return ""
    return f"{seconds / 60:.1f}"


@register.filter
def duration(value: dt.timedelta | None) -> str:
    """`h:mm:ss` (or `m:ss` under an hour)."""
    if value is None:
        return ""
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    mins, secs = divmod(rest, 60)
    return f"{hours}:{mins:02d}:{secs:02d}" if hours else f"{mins}:{secs:02d}"


@register.filter
def reason_label(code: str) -> str:
    try:
        return str(Reason(code).label)
    except ValueError:
        return code
