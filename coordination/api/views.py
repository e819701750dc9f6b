"""The platforms' delivery-info API: what a delivery app shows its rider before arrival
(entry policy, the gates to use, hand-off point, parking, hours, the rider-friendliness
index). Signed by the platform, rate-limited per platform, ETag/304, ≤ 8 queries."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import jwt
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from communities.models import Community, EntryPolicy, Gate, ParkingZone
from communities.selectors.pages import rules_current_with_community
from core.security.client import client_ip
from core.security.ratelimit import check
from riders.services.assertions import AssertionRefused, platform_jws_verify

from ..selectors import friendliness_ranking, snapshot_as_index, snapshot_latest
from .serializers import DeliveryInfoSerializer, RankingSerializer

AUDIENCE_PATH = "/api/v1/delivery-info"
RANKING_PAGE_SIZE = 50
AREA_MAX_LENGTH = 100


def delivery_info_audience() -> str:
    """The `aud` a platform's token must carry for this API."""
    return f"{settings.PORTAL_BASE_URL}{AUDIENCE_PATH}"


def _platform_key(request: HttpRequest) -> str:
    """Rate-limit bucket: the platform the token claims to be from (not yet verified, so
    with the caller's address: a forger cannot use up a real platform's allowance)."""
    token = _bearer(request)
    iss = ""
    if token:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            iss = str(claims.get("iss", ""))[:40] if isinstance(claims, dict) else ""
        except jwt.PyJWTError:
            iss = ""
    return f"platform:{iss}:{client_ip(request)}"


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _time(value: Any) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _marker(obj: Any) -> dict[str, float] | None:
    if obj.x_pct is None or obj.y_pct is None:
        return None
    return {"x_pct": float(obj.x_pct), "y_pct": float(obj.y_pct)}


def _absolute(request: HttpRequest, path: str) -> str:
    base = settings.PORTAL_BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def delivery_info_body(request: HttpRequest, slug: str) -> dict[str, Any] | None:
    """The answer for `slug`, or None when there is no such community. Four queries:
    rules with community, gates open to riders, parking zones, latest index snapshot."""
    rules = rules_current_with_community(slug=slug)
    if rules is None:
        return None
    community = rules.community
    gates = list(Gate.objects.filter(community=community, open_to_riders=True).order_by("name"))
    parking = list(ParkingZone.objects.filter(community=community).order_by("name"))
    snapshot = snapshot_latest(community)
    no_entry = rules.entry_policy == EntryPolicy.NO_ENTRY
    index = None
    if snapshot is not None:
        computed = snapshot_as_index(snapshot)
        index = {
            "score": snapshot.score,
            "day": snapshot.day.isoformat(),
            "coverage": computed.coverage,
            "components": [
                {"key": c.key, "label": c.label, "weight": c.weight, "percent": c.percent}
                for c in computed.components
            ],
            "url": _absolute(request, reverse("coordination:friendliness", args=[slug])),
        }
    return {
        "slug": community.slug,
        "name": community.name,
        "address": community.address,
        "office_phone": community.office_phone or community.company.phone,
        "rules_url": _absolute(request, reverse("communities:rules", args=[slug])),
        "rules_version": rules.version,
        "entry_policy": rules.entry_policy,
        "entry_policy_label": str(EntryPolicy(rules.entry_policy).label),
        "rider_hours": {
            "start": _time(rules.rider_hours_start),
            "end": _time(rules.rider_hours_end),
        },
        "handoff": {
            "point": rules.handoff_point,
            "point_en": rules.handoff_point_en,
            "marker": _marker(rules),
        }
        if rules.handoff_point
        else None,
        "ebikes_allowed_inside": rules.ebikes_allowed_inside,
        "speed_limit_kmh": rules.speed_limit_kmh,
        # Where entry is forbidden no gate is "to use": the rider goes to the hand-off.
        "gates": []
        if no_entry
        else [
            {
                "name": g.name,
                "name_en": g.name_en,
                "opens_at": _time(g.opens_at),
                "closes_at": _time(g.closes_at),
                "marker": _marker(g),
                "register_url": _absolute(request, reverse("riders:register", args=[g.entry_code])),
            }
            for g in gates
        ],
        "parking": [
            {
                "name": z.name,
                "name_en": z.name_en,
                "capacity": z.capacity,
                "has_charging": z.has_charging,
                "marker": _marker(z),
            }
            for z in parking
        ],
        "friendliness": index,
    }


def _refused(code: str) -> JsonResponse:
    response = JsonResponse(
        {"code": code, "detail": _("Sign the request with your platform's registered key.")},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="last100"'
    return response


@extend_schema(
    summary="What a delivery app shows its rider before arrival",
    parameters=[
        OpenApiParameter(
            "Authorization",
            str,
            OpenApiParameter.HEADER,
            required=True,
            description=(
                "`Bearer <JWS>`: a compact JWS signed by the platform's registered key "
                "(EdDSA or ES256), with iss = the platform's code, aud = PORTAL_BASE_URL + "
                f'"{AUDIENCE_PATH}", sub, name, iat, exp (at most 10 minutes after iat) and jti. '
                "The token may be reused until it expires."
            ),
        ),
        OpenApiParameter(
            "If-None-Match",
            str,
            OpenApiParameter.HEADER,
            required=False,
            description="The ETag of an earlier answer: 304 when nothing changed.",
        ),
    ],
    responses={
        200: DeliveryInfoSerializer,
        304: OpenApiResponse(description="Not modified (the ETag matched)"),
        401: OpenApiResponse(description="Missing, invalid or expired platform signature"),
        404: OpenApiResponse(description="No such community"),
        429: OpenApiResponse(description="Too many requests from this platform"),
    },
    auth=[],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def _delivery_info_schema(request: Request, slug: str) -> HttpResponse:  # pragma: no cover
    """Entry policy, the gates to use (none where riders may not enter), hand-off point,
    parking, riders' hours and the community's latest rider-friendliness index."""
    raise AssertionError("documentation only: requests go to delivery_info()")


def _platform_refusal(request: HttpRequest) -> HttpResponse | None:
    """405, 429 or 401 for a request that is not a signed platform's GET within its
    allowance; None when it may go on."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"detail": _("Method not allowed.")}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    refused = check(request, scope="delivery-info", key=_platform_key)
    if refused is not None:
        return refused
    token = _bearer(request)
    if not token:
        return _refused("missing")
    try:
        platform_jws_verify(token, audience=delivery_info_audience())
    except AssertionRefused as exc:
        return _refused(exc.code)
    return None


def _with_etag(request: HttpRequest, body: Any) -> HttpResponse:
    payload = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
    etag = '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'
    wanted = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in wanted or f"W/{etag}" in wanted:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(payload, content_type="application/json")
    response["ETag"] = etag
    # Per platform (signed), and in the caller's language: never a shared cache.
    response["Cache-Control"] = "private, max-age=60"
    response["Vary"] = "Authorization, Accept-Language"
    return response


def delivery_info(request: HttpRequest, slug: str) -> HttpResponse:
    """GET /api/v1/communities/<slug>/delivery-info — a plain view (documented through
    `_delivery_info_schema`): verify the platform, then answer with an ETag."""
    refused = _platform_refusal(request)
    if refused is not None:
        return refused
    body = delivery_info_body(request, slug)
    if body is None:
        return JsonResponse({"detail": _("No such community.")}, status=404)
    return _with_etag(request, body)


delivery_info.cls = _delivery_info_schema.cls  # type: ignore[attr-defined]
delivery_info.initkwargs = _delivery_info_schema.initkwargs  # type: ignore[attr-defined]


@extend_schema(
    summary="Communities ranked by rider-friendliness",
    parameters=[
        OpenApiParameter(
            "Authorization",
            str,
            OpenApiParameter.HEADER,
            required=True,
            description="`Bearer <JWS>`, as for delivery-info (same audience).",
        ),
        OpenApiParameter(
            "city",
            str,
            required=False,
            description="Only communities of this city, exactly as recorded (e.g. 上海市).",
        ),
        OpenApiParameter(
            "district",
            str,
            required=False,
            description="Only communities of this district, exactly as recorded (e.g. 静安区).",
        ),
        OpenApiParameter(
            "area",
            str,
            required=False,
            description="Older free-text filter, kept for existing callers: only "
            "communities whose address contains this text. Prefer city and district.",
        ),
        OpenApiParameter("page", int, required=False, description="50 a page, from 1."),
    ],
    responses={
        200: RankingSerializer,
        304: OpenApiResponse(description="Not modified (the ETag matched)"),
        401: OpenApiResponse(description="Missing, invalid or expired platform signature"),
    },
    auth=[],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def _ranking_schema(request: Request) -> HttpResponse:  # pragma: no cover
    """Every community ranked by its latest daily index (unscored last), filtered by city
    and district for a street office's or a city's list."""
    raise AssertionError("documentation only: requests go to ranking()")


def ranking(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/friendliness/ranking — signed like delivery-info; three queries."""
    refused = _platform_refusal(request)
    if refused is not None:
        return refused
    area = request.GET.get("area", "").strip()[:AREA_MAX_LENGTH]
    city = request.GET.get("city", "").strip()[:AREA_MAX_LENGTH]
    district = request.GET.get("district", "").strip()[:AREA_MAX_LENGTH]
    page_text = request.GET.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10**6 else None
    if page is None:
        return JsonResponse(
            {"detail": _("Bad request."), "errors": {"page": ["1, 2, …"]}}, status=400
        )
    communities = Community.objects.all()
    if city:
        communities = communities.filter(city=city)
    if district:
        communities = communities.filter(district=district)
    if area:
        communities = communities.filter(address__icontains=area)
    total = communities.count()
    start = (page - 1) * RANKING_PAGE_SIZE
    rows = friendliness_ranking(communities, offset=start, limit=RANKING_PAGE_SIZE)
    body = {
        "count": total,
        "page": page,
        "city": city,
        "district": district,
        "area": area,
        "results": [
            {
                "rank": start + i + 1,
                "slug": r["community"].slug,
                "name": r["community"].name,
                "address": r["community"].address,
                "city": r["community"].city,
                "district": r["community"].district,
                "score": r["score"],
                "day": r["day"].isoformat() if r["day"] else None,
                "delivery_info_url": _absolute(
                    request,
                    reverse("coordination-delivery-info", args=[r["community"].slug]),
                ),
            }
            for i, r in enumerate(rows)
        ],
    }
    return _with_etag(request, body)


ranking.cls = _ranking_schema.cls  # type: ignore[attr-defined]
ranking.initkwargs = _ranking_schema.initkwargs  # type: ignore[attr-defined]
