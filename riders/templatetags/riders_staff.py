"""`{% posters_to_reprint_notice %}`: the staff notice listing gates whose printed poster
no longer says what is true there. Self-contained (reads the user from the request), so
any staff page can show it with one line."""

from __future__ import annotations

from typing import Any

from django import template

from communities.permissions import MANAGE_RIDERS, communities_for_user

from ..selectors import posters_to_reprint

register = template.Library()


@register.inclusion_tag("riders/staff/_posters_to_reprint.html", takes_context=True)
def posters_to_reprint_notice(context: dict[str, Any], gate: Any = None) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"items": []}
    communities = communities_for_user(user, perm=MANAGE_RIDERS)
    if gate is not None:
        communities = communities.filter(pk=gate.community_id)
    items = posters_to_reprint(communities)
    if gate is not None:
        items = [i for i in items if i.gate.pk == gate.pk]
    return {"items": items, "single": gate is not None}
