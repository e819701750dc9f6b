"""Public, read-only communities API: no log-in, JSON only. Query counts are fixed:
the list costs two queries whatever the page size, the detail seven whatever the
community's size."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from ..models import Building, Community, DeliveryRules, Gate
from .serializers import CommunityDetailSerializer, CommunityListSerializer

NotFoundSerializer = inline_serializer("NotFound", fields={"detail": serializers.CharField()})


class PublicAPIView(generics.GenericAPIView):
    """Anyone may read: no session (so no CSRF and no session query), no throttling yet."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


def communities_listed() -> QuerySet[Community]:
    """Communities by name, each with its current entry policy, in one query."""
    current_policy = (
        DeliveryRules.objects.filter(community=OuterRef("pk"))
        .order_by("-version")
        .values("entry_policy")[:1]
    )
    return (
        Community.objects.annotate(entry_policy=Subquery(current_policy))
        .only("slug", "name", "address")
        .order_by("name", "slug")
    )


def community_detail(slug: str) -> Community:
    """The community with everything the API shows, prefetched; `current_rules` set.
    Raises NotFound (JSON 404) for an unknown slug."""
    community = (
        Community.objects.select_related("company")
        .prefetch_related(
            Prefetch("gates", queryset=Gate.objects.order_by("name")),
            "parking_zones",
            "rest_stations",
            "facilities",
            # Natural order of building numbers: 2 before 10.
            Prefetch(
                "buildings",
                queryset=Building.objects.only(
                    "community_id", "number", "name", "x_pct", "y_pct"
                ).order_by(Length("number"), "number"),
            ),
        )
        .filter(slug=slug)
        .first()
    )
    if community is None:
        raise NotFound(_("There is no community with this slug."))
    community.current_rules = (
        DeliveryRules.objects.filter(community=community).order_by("-version").first()
    )
    return community


@extend_schema(
    tags=["communities"],
    summary="List communities",
    description="Every community by name, 50 a page, with its current entry policy and the "
    "address of its delivery rules page.",
)
class CommunityListView(PublicAPIView, generics.ListAPIView):
    serializer_class = CommunityListSerializer

    def get_queryset(self) -> QuerySet[Community]:
        return communities_listed()


@extend_schema(
    tags=["communities"],
    summary="A community's delivery rules",
    description="The community's current delivery rules with its gates, rider parking "
    "zones, rest stations, delivery facilities and buildings (not units).",
    responses={
        200: CommunityDetailSerializer,
        404: NotFoundSerializer,
    },
    examples=[
        OpenApiExample(
            "Unknown slug",
            value={"detail": "There is no community with this slug."},
            response_only=True,
            status_codes=["404"],
        )
    ],
)
class CommunityDetailView(PublicAPIView, generics.RetrieveAPIView):
    serializer_class = CommunityDetailSerializer
    lookup_field = "slug"

    def get_object(self) -> Community:
        return community_detail(self.kwargs["slug"])
