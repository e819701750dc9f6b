"""The rider-friendliness index as a definition: its components with their weights and
labels, the windows and limits they are measured with, and the `Friendliness` value (a
score 0–100 and its components, each scored 0–1 or None when it cannot be measured: no
data yet, not applicable, or not recorded by Last100 at all). The score is the weighted
mean of the measured components, so a component without data neither helps nor hurts;
`coverage` says how much of the weight was measured. No queries: a stored snapshot is
read back with `friendliness_from_json`; `measure.py` measures it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from riders.models import Reason

#: Scans, registrations and feedback of this many days count.
WINDOW_DAYS = 30
#: Feedback answered (first triaged by staff) within this many hours counts as answered.
FEEDBACK_ANSWER_HOURS = 48
#: Hand registrations approved within this many minutes score full marks; linear to
#: zero at APPROVAL_ZERO_MINUTES (a working day and a night).
APPROVAL_FULL_MINUTES = 15
APPROVAL_ZERO_MINUTES = 24 * 60
#: A scan decided within this many milliseconds scores full marks; linear to zero at
#: DECISION_ZERO_MS (a rider waiting five seconds at a closed gate). The component's
#: score is the mean of the median's and the p90's.
DECISION_FULL_MS = 500
DECISION_ZERO_MS = 5000

# (key, weight, label). The weights sum to 100.
COMPONENTS: tuple[tuple[str, int, Any], ...] = (
    ("decision_time", 15, _("Time from scan to the gate's decision")),
    ("denied_scans", 15, _("Scans denied")),
    ("one_click", 10, _("Riders registered with one click")),
    ("approval_time", 10, _("Time to approve a hand registration")),
    ("gate_hours", 15, _("Gates open to riders, and their hours")),
    ("facilities", 10, _("Parking, rest stations, cabinets and robots")),
    ("house_numbers", 10, _("House numbers the finder can show")),
    ("handoff", 5, _("Hand-off rules where entry is forbidden")),
    ("feedback", 5, _("Feedback answered within 48 hours")),
    ("controllers", 5, _("Gate controllers in sync")),
)
WEIGHTS = {key: weight for key, weight, _label in COMPONENTS}
LABELS = {key: label for key, _weight, label in COMPONENTS}

# Why a component has no score.
NOT_RECORDED = "not_recorded"  # Last100 does not record what it needs (older snapshots)
NO_DATA = "no_data"  # nothing to measure yet in the window
NOT_APPLICABLE = "not_applicable"
NOT_MEASURED = "not_measured"  # scans in the window, but none reported its timing


@dataclass
class Component:
    key: str
    weight: int
    score: float | None  # 0–1, None when not measured
    why_none: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(LABELS[self.key])

    @property
    def percent(self) -> int | None:
        return None if self.score is None else round(self.score * 100)

    @property
    def reasons_display(self) -> list[tuple[str, int]]:
        """Denials by reason, worded for people (the figures keep the codes)."""
        reasons = self.figures.get("reasons") or {}
        return [
            (str(Reason(code).label) if code in Reason.values else code, count)
            for code, count in sorted(reasons.items(), key=lambda item: -item[1])
        ]

    @property
    def points(self) -> float | None:
        return None if self.score is None else round(self.score * self.weight, 1)


@dataclass
class Friendliness:
    community_id: int
    computed_at: dt.datetime
    components: list[Component]

    @property
    def measured_weight(self) -> int:
        return sum(c.weight for c in self.components if c.score is not None)

    @property
    def score(self) -> int | None:
        """Weighted mean of the measured components, 0–100; None when none is measured."""
        weight = self.measured_weight
        if not weight:
            return None
        total = sum(c.weight * c.score for c in self.components if c.score is not None)
        return round(100 * total / weight)

    @property
    def coverage(self) -> int:
        """Percent of the total weight that was measured."""
        return round(100 * self.measured_weight / sum(WEIGHTS.values()))

    def components_json(self) -> list[dict[str, Any]]:
        return [asdict(c) for c in self.components]


def friendliness_from_json(
    community_id: int, computed_at: dt.datetime, components: list[dict[str, Any]]
) -> Friendliness:
    """A stored snapshot back as a `Friendliness` (unknown keys are skipped)."""
    parts = [
        Component(
            key=c["key"],
            weight=c["weight"],
            score=c.get("score"),
            why_none=c.get("why_none", ""),
            figures=c.get("figures", {}),
        )
        for c in components
        if c.get("key") in WEIGHTS
    ]
    return Friendliness(community_id=community_id, computed_at=computed_at, components=parts)
