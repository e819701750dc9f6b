"""Riders' API: the pass-signing keys (JWKS), online verification for controllers and
guard phones, and platforms deactivating their riders."""

from __future__ import annotations

import json

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from communities.models import Gate, GateController
from communities.permissions import GUARD, user_has_community_perm
from core.db import text_storable
from core.security.ratelimit import (
    Admission,
    AlreadyClaimed,
    RateLimited,
    check,
    controller_or_user,
    too_many_requests,
)
from gatesync.interface import Refusal, controller_authenticate, nonce_replayed, request_nonce

from ..models import Direction, EventSource, Reason, Rider
from ..services.assertions import AssertionRefused, assertion_consume, platform_jws_verify
from ..services.keys import jwks_json
from ..services.platforms import platform_rider_deactivate
from ..services.verification import RiderCard, pass_verify
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
    if not text_storable(value):
        return None  # no gate's code holds what PostgreSQL's text cannot
    query = Q(entry_code=value)
    if value.isascii() and value.isdigit() and len(value) <= 18:  # a bigint, not "²"
        query |= Q(pk=int(value))
    return Gate.objects.select_related("community").filter(query).first()


_DIRECTIONS = tuple(Direction.values)  # Direction.values builds a list per call
_PHOTO_STORAGE = Rider._meta.get_field("photo").storage


def _rider_json(request: HttpRequest, card: RiderCard | None) -> dict | None:
    if card is None:
        return None
    return {
        "name": card.name,
        "photo_url": (
            request.build_absolute_uri(_PHOTO_STORAGE.url(card.photo)) if card.photo else None
        ),
        "platform": card.platform,
        "station": card.station,
        "phone_masked": card.phone_masked,
        # Something to compare when there is no photo (docs/guard-and-posters.md).
        "vehicle_plate": card.vehicle_plate,
    }


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
@permission_classes([AllowAny])
def _verify_schema(request: Request) -> Response:  # pragma: no cover - never dispatched
    """Open or deny, with a reason, and record the event. A controller signs the request
    (HMAC, see docs/gate-protocol.md) and may verify only at its own community's gates; a
    guard's phone uses its staff session (with its CSRF token) and needs the guard
    permission there."""
    raise AssertionError("documentation only: requests go to verify()")


def _json_error(detail: str, status: int, **extra: object) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def _verify_input(request: HttpRequest) -> tuple[dict[str, str] | None, JsonResponse | None]:
    """The body as VerifyRequestSerializer would clean it (JSON or a form), or an error."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return None, _json_error(_("The request body is not valid JSON."), 400)
    else:
        body = request.POST
    if not isinstance(body, dict) and not hasattr(body, "get"):
        return None, _json_error(_("Bad request."), 400, errors={"non_field_errors": ["object"]})
    errors: dict[str, list[str]] = {}
    data: dict[str, str] = {}
    for field, size in (("token", 1024), ("gate", 64)):
        value = body.get(field)
        value = value.strip() if isinstance(value, str) else None
        if not value:
            errors[field] = [_("This field is required.")]
        elif len(value) > size:
            message = _("Ensure this field has no more than %(n)d characters.")
            errors[field] = [message % {"n": size}]
        else:
            data[field] = value
    direction = body.get("direction", Direction.IN)
    if direction not in _DIRECTIONS:  # a tuple: `in` never hashes what the client sent
        errors["direction"] = [_("Not a valid choice.")]
    data["direction"] = direction
    if errors:
        return None, _json_error(_("Bad request."), 400, errors=errors)
    return data, None


@csrf_exempt  # a controller signs with HMAC; a guard's session is checked for CSRF below
def verify(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/gates/verify — a plain Django view (no DRF dispatch: this is the hot
    path of every online scan) with the contract documented by `_verify_schema`.

    Rate limit "verify" per controller_or_user, every request counted: a request without
    a controller's good signature (a guard, a flood) before anything else; a controller's
    scan once its pass is decided, with its request's nonce and the pass's in the same
    Redis round trip."""
    controller, refusal = None, None
    if request.method == "POST":
        controller, refusal = controller_authenticate(request, defer_nonce=True)
    if controller is None:
        limited = check(request, scope="verify", key=controller_or_user)
        if limited is not None:
            return limited
        return _verify(request, None, refusal, None)
    # The request's nonce is claimed with the count, in the same round trip as the pass's.
    first = request_nonce(request, controller)
    admission = Admission(request, scope="verify", key=controller_or_user, first=first)
    try:
        response = _verify(request, controller, None, admission)
        admission.count()  # the answers before the pass (bad input, another gate) count too
    except RateLimited as limited:
        return too_many_requests(request, retry_after=limited.retry_after)
    except AlreadyClaimed:
        return JsonResponse(nonce_replayed(controller).payload(), status=403)
    return response


def _verify(
    request: HttpRequest,
    controller: GateController | None,
    refusal: Refusal | None,
    admission: Admission | None,
) -> HttpResponse:
    """verify() once the request is counted, or with its `admission` to count."""
    if request.method != "POST":
        response = _json_error(_("Method not allowed."), 405)
        response["Allow"] = "POST, OPTIONS"
        return response
    user = None
    if refusal is not None and refusal.code != "unsigned":
        # It meant to sign as a controller: say why not, in a code the device can act on.
        return JsonResponse(refusal.payload(), status=403)
    if controller is None:
        user = request.user
        if not user.is_authenticated:
            return _json_error(_("Sign the request or log in as a guard."), 403)
        refused = _csrf_refusal(request)
        if refused is not None:
            return refused
    data, error = _verify_input(request)
    if error is not None:
        return error
    if controller is not None and data["gate"] in (
        controller.gate.entry_code,
        str(controller.gate_id),
    ):
        gate = controller.gate  # loaded with its community by the signature check
    else:
        gate = _gate_for(data["gate"])
    if controller is not None:
        if gate is None or gate.community_id != controller.gate.community_id:
            return _json_error(_("No such gate."), 404)
        source = EventSource.ONLINE
    else:
        if gate is None or not user_has_community_perm(user, gate.community, perm=GUARD):
            return _json_error(_("No such gate."), 404)
        source = EventSource.GUARD
    result = pass_verify(
        token=data["token"],
        gate=gate,
        direction=data["direction"],
        source=source,
        admission=admission,
    )
    return JsonResponse(
        {
            "decision": result.decision,
            "reason": result.reason,
            "message": str(Reason(result.reason).label),
            "direction": data["direction"],
            "rider": _rider_json(request, result.rider_card),
            "event_id": str(result.event_id),
        }
    )


# drf-spectacular documents views whose callback has `cls` (a DRF APIView): lend it the
# documentation-only view's, so /api/schema/ describes verify() exactly as before.
verify.cls = _verify_schema.cls  # type: ignore[attr-defined]
verify.initkwargs = _verify_schema.initkwargs  # type: ignore[attr-defined]


def _csrf_refusal(request: HttpRequest) -> JsonResponse | None:
    """A session-authenticated guard must send the CSRF token (as DRF's
    SessionAuthentication demanded)."""
    check = CsrfViewMiddleware(lambda req: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason is not None:
        return _json_error(_("CSRF check failed."), 403)
    return None


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
