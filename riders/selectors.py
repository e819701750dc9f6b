"""Reads for the riders app's staff pages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from communities.models import Community, DeliveryRules, Gate

from .models import PosterPrint
from .poster_text import PosterText, poster_text


@dataclass(frozen=True)
class PosterToReprint:
    gate: Gate
    printed_at: Any
    text: PosterText


def posters_to_reprint(communities: QuerySet[Community]) -> list[PosterToReprint]:
    """Gates of `communities` whose latest printed poster no longer says what is true at
    the gate (the rules, the gates open to riders or the code changed since). Gates never
    printed are not listed. Three queries whatever the number of gates."""
    latest = PosterPrint.objects.filter(gate=OuterRef("pk")).order_by("-printed_at")
    gates = list(
        Gate.objects.filter(community__in=communities)
        .select_related("community")
        .annotate(
            printed_fingerprint=Subquery(latest.values("fingerprint")[:1]),
            printed_at=Subquery(latest.values("printed_at")[:1]),
        )
        .order_by("community__name", "name")
    )
    if not any(g.printed_fingerprint for g in gates):
        return []
    by_community: dict[int, list[Gate]] = defaultdict(list)
    for g in gates:
        by_community[g.community_id].append(g)
    # Current rules per community: versions are few, so the newest is picked here.
    rules: dict[int, DeliveryRules] = {}
    for r in DeliveryRules.objects.filter(community_id__in=by_community).newest_first():
        rules.setdefault(r.community_id, r)
    out = []
    for g in gates:
        if not g.printed_fingerprint:
            continue
        text = poster_text(g, rules=rules.get(g.community_id), gates=by_community[g.community_id])
        if text.fingerprint != g.printed_fingerprint:
            out.append(PosterToReprint(gate=g, printed_at=g.printed_at, text=text))
    return out
