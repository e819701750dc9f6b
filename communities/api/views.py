"""Public, read-only communities API: no log-in, JSON only. It reads through the rules
page's selectors, so the page and the API show the same thing. Query counts are fixed:
the list costs two queries whatever the number of communities, the detail seven whatever
the community's size."""

from __future__ import annotations

import math
import re

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from ..models import Building, Community
from ..selectors.pages import (
    RulesPageData,
    communities_search,
    community_public_get,
    rules_page_context,
)
from .serializers import CommunityDetailSerializer, CommunityListSerializer

NotFoundSerializer = inline_serializer("NotFound", fields={"detail": serializers.CharField()})


class PublicAPIView(generics.GenericAPIView):
    """Anyone may read: no session (so no CSRF and no session query), no throttling yet."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


def _natural(building: Building) -> tuple[float, str]:
    """Building numbers in natural order: 2 before 7, 7 before 7A, 7A before 10;
    numbers without digits last."""
    digits, rest = re.match(r"(\d*)(.*)", building.number).groups()
    return (int(digits) if digits else math.inf), rest


def community_detail(slug: str) -> RulesPageData:
    """The rules page's data for `slug` (seven queries), buildings in natural order.
    Raises NotFound (JSON 404) for an unknown slug."""
    community = community_public_get(slug)
    if community is None:
        raise NotFound(_("There is no community with this slug."))
    data = rules_page_context(community)
    data.buildings.sort(key=_natural)
    return data


@extend_schema(
    tags=["communities"],
    summary="List communities",
    description="Every community by name, 50 a page, with its current entry policy and the "
    "address of its delivery rules page.",
)
class CommunityListView(PublicAPIView, generics.ListAPIView):
    serializer_class = CommunityListSerializer

    def get_queryset(self) -> QuerySet[Community]:
        return communities_search("")


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

    def get_object(self) -> RulesPageData:
        return community_detail(self.kwargs["slug"])
