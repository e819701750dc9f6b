"""Gate protocol endpoints the controllers call (docs/gate-protocol.md §4): heartbeat and
pull. Every request is signed by the controller (gatesync.auth). The third, events, stores
riders' scans and is riders' (riders.api.gate_events)."""

from __future__ import annotations

import time

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .auth import Refusal, controller_authenticate
from .documents import PROTOCOL, delta_document, head_version, snapshot_document
from .inbound import controller_heartbeat


class HeartbeatRequest(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=2**62)
    # Unix seconds; the offset from the server clock is stored in a 32-bit column.
    clock = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**31 - 1
    )
    firmware = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    size = serializers.IntegerField(required=False, min_value=0, max_value=2**40)
    digest = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    # Protocol v2 (required there): above every earlier heartbeat's, e.g. Unix milliseconds.
    seq = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class HeartbeatResponse(serializers.Serializer):
    head = serializers.IntegerField()
    server_time = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["none", "delta", "snapshot"])


def _refused(refusal: Refusal | None) -> Response:
    """403 with a machine-readable code and the portal's clock (docs/gate-protocol.md §1)."""
    return Response((refusal or Refusal("unsigned")).payload(), status=403)


def _body(request: Request) -> dict | None:
    try:
        data = request.data
    except Exception:  # noqa: BLE001 - unparsable JSON is the caller's error
        return None
    return data if isinstance(data, dict) else None


@extend_schema(
    summary="Controller heartbeat",
    request=HeartbeatRequest,
    responses={
        200: HeartbeatResponse,
        400: OpenApiResponse(description="Malformed request"),
        403: OpenApiResponse(description="Not a signed controller"),
    },
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])  # authenticated below by the controller's HMAC signature
def heartbeat(request: Request) -> Response:
    """What the controller holds; the answer says what the portal will push next."""
    controller, refusal = controller_authenticate(request._request)
    if controller is None:
        return _refused(refusal)
    body = _body(request)
    serializer = HeartbeatRequest(data=body)
    if body is None or not serializer.is_valid():
        errors = serializer.errors if body is not None else {}
        return Response({"detail": _("Bad request."), "errors": errors}, status=400)
    data = serializer.validated_data
    if controller.protocol >= 2 and (data.get("seq") is None or not data.get("digest")):
        errors = {f: [_("This field is required.")] for f in ("seq", "digest") if not data.get(f)}
        return Response({"detail": _("Bad request."), "errors": errors}, status=400)
    answer = controller_heartbeat(
        controller=controller,
        version=data["version"],
        clock=data.get("clock"),
        firmware=data.get("firmware", ""),
        digest=data.get("digest", ""),
        sequence=data.get("seq"),
    )
    if answer.refused:
        return _refused(Refusal(answer.refused))
    return Response({"head": answer.head, "server_time": int(time.time()), "action": answer.action})


@extend_schema(
    summary="Pull the access list (delta since a version, or a snapshot)",
    parameters=[OpenApiParameter("since", int, description="The version the controller holds")],
    responses={
        200: OpenApiResponse(description="A delta or snapshot document (docs/gate-protocol.md)"),
        400: OpenApiResponse(description="Malformed request"),
        403: OpenApiResponse(description="Not a signed controller"),
    },
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def pull(request: Request) -> Response:
    """For controllers the portal cannot reach: the same document a push would carry."""
    controller, refusal = controller_authenticate(request._request)
    if controller is None:
        return _refused(refusal)
    since = request.query_params.get("since", "0")
    if not since.isdigit() or len(since) > 18:
        return Response({"detail": _("since must be a version number.")}, status=400)
    community_id, version = controller.gate.community_id, int(since)
    if version > 0 and version == head_version(community_id):
        doc = {
            "protocol": PROTOCOL,
            "type": "delta",
            "controller": controller.pk,
            "community": community_id,
            "from_version": version,
            "version": version,
            "changes": [],
        }
    else:
        doc = delta_document(
            controller_id=controller.pk, community_id=community_id, from_version=version
        )
    if doc is None:
        doc = snapshot_document(
            controller_id=controller.pk, community_id=community_id, gate_id=controller.gate_id
        )
    return Response(doc)
