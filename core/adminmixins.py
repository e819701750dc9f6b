"""Admin behaviour every model admin of ours shares."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class IdsNotProbedMixin:
    """A user who may not see this model gets, for any id, the answer of a missing one.

    Django's history view looks the object up before it checks permissions: a missing id
    is "doesn't exist" (a redirect to the index) and an existing one 403, so staff could
    tell which owners', resolutions' or audit rows' ids exist. Here the look-up finds
    nothing for such a user, so both answers are the redirect."""

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        if not self.has_view_or_change_permission(request):  # type: ignore[attr-defined]
            return None
        return super().get_object(request, object_id, from_field)  # type: ignore[misc]
