"""What a rider should do at one gate: enter here, use another gate, or hand off."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..models import DeliveryRules, EntryPolicy, Gate
from .site_map import map_aspect, percent_float

#: GateAdvice.kind values.
ADVICE_ENTER = "enter"  # this gate admits riders: register (or show the pass) here
ADVICE_OTHER_GATE = "other_gate"  # closed to riders; other gates admit them
ADVICE_HANDOFF = "handoff"  # riders may not enter the community at all (no_entry, or no rider gate)


@dataclass(frozen=True)
class GateAdvice:
    """What is true for a rider at one gate. The gate page (/r/<code>/) and the gate's
    poster both say it from this one answer, so the two can never disagree.

    `use_gates`: for `other_gate`, the gates that admit riders, nearest to this one first.
    `handoff_point`: the rules' hand-off point (may be empty when riders may not enter only
    because no gate admits them: then the page and the poster send them to the office)."""

    kind: str
    gate: Gate
    policy: str
    use_gates: tuple[Gate, ...] = ()
    handoff_point: str = ""
    handoff_point_en: str = ""  # its English twin (core.i18n_text.localized reads both)
    rules: DeliveryRules | None = None

    @property
    def is_enter(self) -> bool:
        return self.kind == ADVICE_ENTER

    @property
    def is_other_gate(self) -> bool:
        return self.kind == ADVICE_OTHER_GATE

    @property
    def is_handoff(self) -> bool:
        return self.kind == ADVICE_HANDOFF


# Not given: the function loads the community's current rules itself.
_NO_RULES = object()


def gate_advice(
    gate: Gate, *, rules: Any = _NO_RULES, gates: list[Gate] | None = None
) -> GateAdvice:
    """The advice for a rider at `gate`. Pass the community's current `rules` and all its
    `gates` when already loaded (lists, posters of many gates); otherwise two queries."""
    if rules is _NO_RULES:
        rules = DeliveryRules.objects.current_of(gate.community_id)
    if gates is None:
        gates = list(Gate.objects.filter(community_id=gate.community_id).order_by("name"))
    # A community without published rules behaves as "registered" (riders.views did so).
    policy = rules.entry_policy if rules is not None else EntryPolicy.REGISTERED
    handoff = (rules.handoff_point or "").strip() if rules is not None else ""
    handoff_en = (rules.handoff_point_en or "").strip() if rules is not None and handoff else ""
    rider_gates = [g for g in gates if g.open_to_riders and g.pk != gate.pk]
    if policy == EntryPolicy.NO_ENTRY or not (gate.open_to_riders or rider_gates):
        return GateAdvice(
            ADVICE_HANDOFF,
            gate,
            policy,
            handoff_point=handoff,
            handoff_point_en=handoff_en,
            rules=rules,
        )
    if gate.open_to_riders:
        return GateAdvice(
            ADVICE_ENTER,
            gate,
            policy,
            handoff_point=handoff,
            handoff_point_en=handoff_en,
            rules=rules,
        )
    return GateAdvice(
        ADVICE_OTHER_GATE,
        gate,
        policy,
        use_gates=tuple(_by_distance(gate, rider_gates, map_aspect(gate.community))),
        handoff_point=handoff,
        handoff_point_en=handoff_en,
        rules=rules,
    )


def _by_distance(origin: Gate, candidates: list[Gate], aspect: float) -> list[Gate]:
    """Candidates nearest to `origin` on the site map first; those without a marker (or
    all, when `origin` has none) after, by name."""
    if not origin.has_marker:
        return sorted(candidates, key=lambda g: g.name)
    ox, oy = percent_float(origin.x_pct), percent_float(origin.y_pct)

    def key(g: Gate) -> tuple[int, float, str]:
        if not g.has_marker:
            return (1, 0.0, g.name)
        return (
            0,
            math.hypot((percent_float(g.x_pct) - ox) * aspect, percent_float(g.y_pct) - oy),
            g.name,
        )

    return sorted(candidates, key=key)
