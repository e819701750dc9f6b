"""The guards' pages: their log-in, their gates, a gate's console and its live events."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from communities.models import Gate
from communities.permissions import (
    GUARD,
    MANAGE_RIDERS,
    communities_for_user,
    gate_for_user,
    gates_for_user,
)

from ..models import (
    AccessEvent,
    Direction,
    Reason,
)

EVENTS_SHOWN = 20


def _recent_events(gate: Gate) -> list[AccessEvent]:
    return list(
        AccessEvent.objects.filter(gate=gate)
        .select_related("rider")
        .order_by("-occurred_at", "-id")[:EVENTS_SHOWN]
    )


def event_text(event: AccessEvent) -> str:
    """One line of the gate's event list, the same words on first load and live refresh."""
    decision = _("OPEN") if event.decision == "open" else _("DENIED")
    parts = [
        timezone.localtime(event.occurred_at).strftime("%H:%M:%S"),
        str(Direction(event.direction).label),
        decision,
        str(Reason(event.reason).label),
    ]
    if event.rider:
        parts.append(event.rider.name)
    return " · ".join(parts)


def _event_json(event: AccessEvent) -> dict:
    return {
        "text": event_text(event),
        "occurred_at": timezone.localtime(event.occurred_at).strftime("%H:%M:%S"),
        "direction": event.direction,
        "direction_label": str(Direction(event.direction).label),
        "decision": event.decision,
        "reason": event.reason,
        "reason_label": str(Reason(event.reason).label),
        "rider": event.rider.name if event.rider else "",
    }


class GuardLoginView(LoginView):
    """The guards' own log-in (Last100's header and language switch, not the admin's):
    afterwards their gates, or the console they were sent from."""

    template_name = "riders/guard/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return str(reverse_lazy("riders:guard_home"))


guard_login_required = login_required(login_url="riders:guard_login")


@guard_login_required
@require_GET
def guard_home(request: HttpRequest) -> HttpResponse:
    """The gates this user guards, each with its console (and posters for managers)."""
    gates = list(gates_for_user(request.user, perm=GUARD).order_by("community__name", "name", "pk"))
    managed = set(
        communities_for_user(request.user, perm=MANAGE_RIDERS).values_list("pk", flat=True)
    )
    for gate in gates:
        gate.can_manage = gate.community_id in managed
    return render(request, "riders/guard/home.html", {"gates": gates})


@guard_login_required
@require_GET
def guard_console(request: HttpRequest, code: str) -> HttpResponse:
    gate = gate_for_user(request.user, code, perm=GUARD)
    events = _recent_events(gate)
    for event in events:
        event.text = event_text(event)
    return render(
        request,
        "riders/guard/console.html",
        {
            "gate": gate,
            "events": events,
            "can_rotate": request.user.is_superuser
            or communities_for_user(request.user, perm=MANAGE_RIDERS)
            .filter(pk=gate.community_id)
            .exists(),
        },
    )


@guard_login_required
@require_GET
def guard_events(request: HttpRequest, code: str) -> JsonResponse:
    gate = gate_for_user(request.user, code, perm=GUARD)
    return JsonResponse({"events": [_event_json(e) for e in _recent_events(gate)]})
