"""POST /api/v1/gates/events (docs/gate-protocol.md §4): a controller's batch of scans
decided at the gate, stored as riders' access events. Signed by the controller like every
gate protocol request (gate sync authenticates it)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from gatesync.interface import Refusal, controller_authenticate

from ..services.gate_events import (
    DECISION_MS_MAX,
    EVENTS_MAX_BATCH,
    decision_ms_errors,
    events_ingest,
)


class EventIn(serializers.Serializer):
    event_id = serializers.UUIDField()
    gate = serializers.CharField(required=False, allow_null=True)
    grant = serializers.IntegerField(required=False, allow_null=True)
    rider = serializers.IntegerField(required=False, allow_null=True)
    direction = serializers.ChoiceField(choices=["in", "out"])
    decision = serializers.ChoiceField(choices=["open", "deny"])
    reason = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    decision_ms = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=DECISION_MS_MAX,
        help_text="Optional: milliseconds from the scan to the controller's decision.",
    )


class EventsRequest(serializers.Serializer):
    events = EventIn(many=True)


class Rejected(serializers.Serializer):
    index = serializers.IntegerField()
    error = serializers.CharField()


class EventsResponse(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = Rejected(many=True)


@extend_schema(
    summary="Scans decided at the gate (batched, idempotent by event_id)",
    request=EventsRequest,
    responses={
        200: EventsResponse,
        400: OpenApiResponse(
            description="Malformed request; `errors` names a bad `events[i].decision_ms`"
        ),
        403: OpenApiResponse(description="Not a signed controller"),
    },
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def events(request: Request) -> Response:
    """Store a batch of at most 500 events; events that cannot be stored are listed."""
    controller, refusal = controller_authenticate(request._request)
    if controller is None:
        # 403 with a machine-readable code and the portal's clock (docs/gate-protocol.md §1).
        return Response((refusal or Refusal("unsigned")).payload(), status=403)
    try:
        body = request.data
    except Exception:  # noqa: BLE001 - unparsable JSON is the caller's error
        body = None
    items = body.get("events") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return Response({"detail": _('Send {"events": [...]}.')}, status=400)
    if len(items) > EVENTS_MAX_BATCH:
        return Response(
            {"detail": _("At most %(n)d events per batch.") % {"n": EVENTS_MAX_BATCH}}, status=400
        )
    errors = decision_ms_errors(items)
    if errors:
        return Response({"detail": _("Bad request."), "errors": errors}, status=400)
    result = events_ingest(controller=controller, events=items)
    return Response(
        {"accepted": result.accepted, "duplicates": result.duplicates, "rejected": result.rejected}
    )
