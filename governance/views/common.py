"""What owners' and staff's pages share: the figures shown for a resolution."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..effects import effect_describe, matter_basis
from ..models import Resolution, ResolutionState
from ..tally import QUORUM, Tally, area_m2, tally


@dataclass
class Bar:
    """One participation or approval bar: value / maximum against a threshold."""

    label: str
    value: int
    maximum: int
    threshold: Fraction
    met: bool
    percent: str
    threshold_percent: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "max": self.maximum,
            "met": self.met,
            "percent": self.percent,
            "text": self.text,
        }


def _pct(fraction: Fraction) -> str:
    tenths = fraction * 1000
    tenths = (tenths.numerator * 2 // tenths.denominator + 1) // 2
    return f"{tenths // 10}.{tenths % 10}"


def figures_of(resolution: Resolution) -> Tally:
    """Stored figures of a decided resolution; a live count otherwise (two queries)."""
    if resolution.result:
        return Tally.from_json(resolution.result)
    return tally(resolution)


def participation_bars(figures: Tally) -> list[Bar]:
    area_pct = figures.percent("participating_area", "total_area")
    voters_pct = figures.percent("participating_voters", "total_voters")
    need = _pct(QUORUM)
    return [
        Bar(
            label=_("Participation by area"),
            value=figures.participating_area,
            maximum=max(figures.total_area, 1),
            threshold=QUORUM,
            met=figures.quorum_area_met,
            percent=area_pct,
            threshold_percent=need,
            text=_("%(part)s of %(total)s m² (%(pct)s %%); %(need)s %% needed")
            % {
                "part": area_m2(figures.participating_area),
                "total": area_m2(figures.total_area),
                "pct": area_pct,
                "need": need,
            },
        ),
        Bar(
            label=_("Participation by owners"),
            value=figures.participating_voters,
            maximum=max(figures.total_voters, 1),
            threshold=QUORUM,
            met=figures.quorum_voters_met,
            percent=voters_pct,
            threshold_percent=need,
            text=_("%(part)s of %(total)s owners (%(pct)s %%); %(need)s %% needed")
            % {
                "part": figures.participating_voters,
                "total": figures.total_voters,
                "pct": voters_pct,
                "need": need,
            },
        ),
    ]


def result_rows(figures: Tally) -> list[dict[str, str]]:
    """For, against, abstain: area and owners with their shares of participation."""
    rows = []
    labels = {"for": _("For"), "against": _("Against"), "abstain": _("Abstain")}
    for choice, label in labels.items():
        rows.append(
            {
                "label": label,
                "area": area_m2(getattr(figures, f"{choice}_area")),
                "area_pct": figures.percent(f"{choice}_area", "participating_area"),
                "voters": str(getattr(figures, f"{choice}_voters")),
                "voters_pct": figures.percent(f"{choice}_voters", "participating_voters"),
            }
        )
    return rows


def resolution_context(resolution: Resolution) -> dict[str, Any]:
    figures = figures_of(resolution)
    return {
        "resolution": resolution,
        "effect_text": effect_describe(resolution.effect),
        "matter_basis": matter_basis(resolution),
        "figures": figures,
        "bars": participation_bars(figures),
        "rows": result_rows(figures),
        "threshold_percent": _pct(figures.approval_threshold),
        "total_area_m2": area_m2(figures.total_area),
        "participating_area_m2": area_m2(figures.participating_area),
    }


_ROLL_NOTE = re.compile(r"^roll of (\d+) voters frozen$")


def event_note_display(note: str) -> str:
    """History notes are stored in English (append-only rows); show them translated."""
    match = _ROLL_NOTE.match(note)
    if match:
        return _("roll of %(count)s voters frozen") % {"count": match.group(1)}
    known = {
        "created": pgettext("resolution history", "created"),
        "hand-off point set": pgettext("resolution history", "hand-off point set"),
    }
    return known.get(note, note)


def events_display(resolution: Resolution) -> list[dict[str, Any]]:
    """The resolution's history with state names in the reader's language."""
    labels = dict(ResolutionState.choices)
    return [
        {
            "at": e.at,
            "actor": e.actor,
            "from_state": str(labels.get(e.from_state, e.from_state)) if e.from_state else "",
            "to_state": str(labels.get(e.to_state, e.to_state)),
            "note": event_note_display(e.note),
        }
        for e in resolution.events.select_related("actor").order_by("pk")
    ]
