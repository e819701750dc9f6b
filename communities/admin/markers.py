"""The site map shown above an admin form: its URL and, drawn faintly for orientation,
the markers of everything else in the community (passed to static/js/marker-picker.js as
a data-* attribute; no inline script)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _

from ..models import Building, Community, DeliveryFacility, Gate, ParkingZone, RestStation

ALL_KINDS = frozenset({"building", "gate", "parking", "rest", "facility", "handoff"})


def community_markers(
    community: Community, *, exclude: Model | None = None, kinds: frozenset[str] = ALL_KINDS
) -> list[dict]:
    """Every placed marker of the community (of the given kinds) except `exclude`: one
    query per kind of place, whatever the community's size."""
    markers: list[dict] = []
    places: tuple[tuple[type[Model], str, str], ...] = (
        (Building, "building", "number"),
        (Gate, "gate", "name"),
        (ParkingZone, "parking", "name"),
        (RestStation, "rest", "name"),
        (DeliveryFacility, "facility", "name"),
    )
    for model, kind, label_field in places:
        if kind not in kinds:
            continue
        rows = model.objects.filter(
            community=community, x_pct__isnull=False, y_pct__isnull=False
        ).values_list("pk", label_field, "x_pct", "y_pct")
        for pk, label, x, y in rows:
            if exclude is not None and type(exclude) is model and exclude.pk == pk:
                continue
            if kind == "building":
                label = _("Building %(number)s") % {"number": label}
            markers.append({"kind": kind, "label": str(label), "x": float(x), "y": float(y)})
    if "handoff" not in kinds:
        return markers
    rules = (
        community.rules_versions.order_by("-version")
        .values("pk", "x_pct", "y_pct", "handoff_point")
        .first()
    )
    if rules and rules["x_pct"] is not None and rules["y_pct"] is not None:
        markers.append(
            {
                "kind": "handoff",
                "label": rules["handoff_point"] or _("hand-off point"),
                "x": float(rules["x_pct"]),
                "y": float(rules["y_pct"]),
            }
        )
    return markers


def map_context(
    community: Community | None,
    *,
    exclude: Model | None = None,
    kinds: frozenset[str] = ALL_KINDS,
) -> dict[str, Any]:
    """Template context for `admin/communities/_map_panel.html`; empty without a map."""
    if community is None or not community.site_map:
        return {}
    return {
        "map_url": community.site_map.url,
        "map_markers_json": json.dumps(
            community_markers(community, exclude=exclude, kinds=kinds), ensure_ascii=False
        ),
    }
