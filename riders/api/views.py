"""Riders' API: the pass-signing keys (JWKS), online verification for controllers and
guard phones, and platforms deactivating their riders."""

from __future__ import annotations

import json

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from communities.models import Gate
from communities.permissions import GUARD, user_has_community_perm
from portal.security.ratelimit import controller_or_user, ratelimit

from ..models import EventSource, Reason, Rider
from ..services.keys import jwks_json
from ..services.platforms import platform_rider_deactivate
from ..services.registration import AssertionRefused, platform_jws_verify
from ..services.verification import pass_verify
from .auth import controller_from_request
from .serializers import (
    DeactivateResponseSerializer,
    VerifyRequestSerializer,
    VerifyResponseSerializer,
)


@extend_schema(
    summary="Pass-signing public keys (JWKS)",
    responses={
        200: inline_serializer(
            "JWKS", {"keys": drf_serializers.ListField(child=drf_serializers.DictField())}
        )
    },
    auth=[],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@cache_control(public=True, max_age=300)
def keys(request: Request) -> HttpResponse:
    """The public keys that verify riders' passes; controllers fetch them to verify
    offline. A retired key stays here for a grace period after a rotation."""
    return HttpResponse(jwks_json(), content_type="application/jwk-set+json")


def _gate_for(value: str) -> Gate | None:
    query = Q(entry_code=value)
    if value.isdigit():
        query |= Q(pk=int(value))
    return Gate.objects.select_related("community").filter(query).first()


def _rider_json(request: HttpRequest, rider: Rider | None) -> dict | None:
    if rider is None:
        return None
    return {
        "name": rider.name,
        "photo_url": request.build_absolute_uri(rider.photo.url) if rider.photo else None,
        "platform": rider.platform.name,
        "station": rider.station,
        "phone_masked": rider.phone_masked,
    }


@ratelimit(scope="verify", key=controller_or_user)
@extend_schema(
    summary="Verify a rider's pass online",
    request=VerifyRequestSerializer,
    responses={
        200: VerifyResponseSerializer,
        400: OpenApiResponse(description="Malformed request"),
        403: OpenApiResponse(description="Not a signed controller or a guard of this gate"),
        404: OpenApiResponse(description="No such gate"),
    },
)
@api_view(["POST"])
@permission_classes([AllowAny])  # authenticated below: controller HMAC or guard session
def verify(request: Request) -> Response:
    """Open or deny, with a reason, and record the event. A controller signs the request
    (HMAC, see docs/gate-protocol.md) and may verify only at its own community's gates; a
    guard's phone uses its staff session and needs the guard permission there."""
    controller = controller_from_request(request._request)
    user = request.user
    if controller is None and not user.is_authenticated:
        return Response({"detail": _("Sign the request or log in as a guard.")}, status=403)
    try:
        body = request.data
    except Exception:  # noqa: BLE001 - unparsable JSON is the caller's error
        return Response({"detail": _("The request body is not valid JSON.")}, status=400)
    serializer = VerifyRequestSerializer(data=body)
    if not serializer.is_valid():
        return Response({"detail": _("Bad request."), "errors": serializer.errors}, status=400)
    data = serializer.validated_data
    if controller is not None and data["gate"] in (
        controller.gate.entry_code,
        str(controller.gate_id),
    ):
        gate = controller.gate  # loaded with its community by the signature check
    else:
        gate = _gate_for(data["gate"])
    if controller is not None:
        if gate is None or gate.community_id != controller.gate.community_id:
            return Response({"detail": _("No such gate.")}, status=404)
        source = EventSource.ONLINE
    else:
        if gate is None or not user_has_community_perm(user, gate.community, perm=GUARD):
            return Response({"detail": _("No such gate.")}, status=404)
        source = EventSource.GUARD
    result = pass_verify(token=data["token"], gate=gate, direction=data["direction"], source=source)
    return Response(
        {
            "decision": result.decision,
            "reason": result.reason,
            "message": str(Reason(result.reason).label),
            "direction": data["direction"],
            "rider": _rider_json(request._request, result.rider),
            "event_id": str(result.event.event_id),
        }
    )


@extend_schema(
    summary="A platform deactivates one of its riders",
    request={"application/jose": str},
    responses={
        200: DeactivateResponseSerializer,
        400: OpenApiResponse(description="Refused request (code and message)"),
        404: OpenApiResponse(description="No such rider at this platform"),
    },
    auth=[],
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def platform_rider_deactivate_view(request: Request, platform_rider_id: str) -> Response:
    """The body is a compact JWS signed by the platform's key (as assertions are), with
    aud = PORTAL_BASE_URL + "/api/v1/platform", sub = the rider id, action = "deactivate",
    and a single-use jti. Every grant of the rider is suspended."""
    from django.conf import settings

    from ..services.registration import assertion_consume

    raw = request._request.body
    try:
        token = raw.decode("ascii").strip()
        if token.startswith("{"):
            token = json.loads(token).get("token", "")
        verified = platform_jws_verify(
            token, audience=f"{settings.PORTAL_BASE_URL}/api/v1/platform"
        )
        if verified.claims.get("action") != "deactivate":
            raise AssertionRefused("bad_claims", "action")
        if verified.claims.get("sub") != platform_rider_id:
            raise AssertionRefused("bad_claims", "sub")
        assertion_consume(verified)
    except AssertionRefused as refused:
        return Response({"code": refused.code, "detail": _("Request refused.")}, status=400)
    except (UnicodeDecodeError, ValueError, AttributeError):
        return Response({"code": "malformed", "detail": _("Request refused.")}, status=400)
    try:
        count = platform_rider_deactivate(
            platform=verified.platform, platform_rider_id=platform_rider_id
        )
    except Rider.DoesNotExist:
        return Response({"detail": _("No such rider.")}, status=404)
    return Response({"rider": platform_rider_id, "grants_suspended": count})
