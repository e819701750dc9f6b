"""Read-only shapes of the public communities API. Positions are percent of the site map
(0–100, origin top-left); times are local "HH:MM"; empty hours mean all day.

Staff-entered texts come in both languages whatever the request's language: the Chinese
value under the plain name (`name`, `notes`, `handoff_point`; zh-Hans is the site's
language) and the English twin under `<name>_en` (empty when staff gave none: show the
Chinese value then, marked as Chinese). Notes the system wrote (a planned facility's) are
given translated into each."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.i18n_text import EN, ZH, both

from ..models import (
    Building,
    Community,
    DeliveryFacility,
    DeliveryRules,
    EntryPolicy,
    Gate,
    ParkingZone,
    RestStation,
)
from ..selectors.pages import RulesPageData

HHMM = "%H:%M"

#: Rest-station amenity name in the API → model field.
AMENITIES = {
    "water": "has_water",
    "phone_charging": "has_charging",
    "toilet": "has_toilet",
    "microwave": "has_microwave",
    "shade": "has_shade",
}


def absolute_url(request, path: str) -> str:
    """PORTAL_BASE_URL + path: the portal's public address, not whatever Host header the
    client sent; the request's own address only when no base URL is configured."""
    base = settings.PORTAL_BASE_URL
    if base:
        return f"{base}{path}"
    return request.build_absolute_uri(path)


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "07:30"})
class ClockField(serializers.TimeField):
    """A local time of day as "HH:MM"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", HHMM)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class MarkerSerializer(serializers.Serializer):
    x_pct = serializers.FloatField(min_value=0, max_value=100)
    y_pct = serializers.FloatField(min_value=0, max_value=100)


@extend_schema_field(MarkerSerializer(allow_null=True))
class MarkerField(serializers.Field):
    """The object's position on the site map, or null when it has not been placed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, float] | None:
        if value.x_pct is None or value.y_pct is None:
            return None
        return {"x_pct": float(value.x_pct), "y_pct": float(value.y_pct)}


ZH_HELP = "Chinese (zh-Hans), the site's language."
EN_HELP = "English; empty when not given (then show the Chinese value, marked lang=zh-Hans)."


@extend_schema_field(OpenApiTypes.STR)
class StoredTextField(serializers.Field):
    """One language of a stored text (`both`: a generated note comes translated)."""

    def __init__(self, text_field: str, lang: str, **kwargs: Any) -> None:
        self.text_field, self.lang = text_field, lang
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", ZH_HELP if lang == ZH else EN_HELP)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return both(value, self.text_field)[self.lang]


class NamesMixin(serializers.Serializer):
    name = StoredTextField("name", ZH)
    name_en = StoredTextField("name", EN)
    notes = StoredTextField("notes", ZH)
    notes_en = StoredTextField("notes", EN)


class HoursMixin(serializers.Serializer):
    opens_at = ClockField(help_text="Empty (with closes_at) means all day.")
    closes_at = ClockField(help_text="Before opens_at means the hours run past midnight.")


class CommunityListSerializer(serializers.ModelSerializer):
    entry_policy = serializers.ChoiceField(
        choices=EntryPolicy.choices,
        allow_null=True,
        read_only=True,
        help_text="Current entry policy: open, registered or no_entry.",
    )
    url = serializers.SerializerMethodField(help_text="The community's delivery rules page.")
    api_url = serializers.SerializerMethodField(help_text="This community in the API.")

    class Meta:
        model = Community
        fields = ["slug", "name", "address", "entry_policy", "url", "api_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Community) -> str:
        return absolute_url(self.context["request"], reverse("communities:rules", args=[obj.slug]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, obj: Community) -> str:
        return absolute_url(
            self.context["request"], reverse("communities-api:community-detail", args=[obj.slug])
        )


class RulesSerializer(serializers.ModelSerializer):
    entry_policy_label = serializers.CharField(source="get_entry_policy_display")
    handoff_marker = MarkerField(help_text="Where the hand-off point is on the site map.")
    rider_hours_start = ClockField(help_text="Riders admitted from; empty means all day.")
    rider_hours_end = ClockField(help_text="Riders admitted until.")
    set_on = serializers.DateTimeField(source="created_at")

    class Meta:
        model = DeliveryRules
        fields = [
            "version",
            "set_on",
            "entry_policy",
            "entry_policy_label",
            "handoff_point",
            "handoff_point_en",
            "handoff_marker",
            "ebikes_allowed_inside",
            "speed_limit_kmh",
            "rider_hours_start",
            "rider_hours_end",
            "notes",
            "notes_en",
        ]
        read_only_fields = fields


class GateSerializer(NamesMixin, HoursMixin, serializers.ModelSerializer):
    marker = MarkerField()

    class Meta:
        model = Gate
        fields = [
            "name",
            "name_en",
            "open_to_riders",
            "opens_at",
            "closes_at",
            "notes",
            "notes_en",
            "marker",
        ]
        read_only_fields = fields


class ParkingZoneSerializer(NamesMixin, serializers.ModelSerializer):
    marker = MarkerField()

    class Meta:
        model = ParkingZone
        fields = ["name", "name_en", "capacity", "has_charging", "notes", "notes_en", "marker"]
        read_only_fields = fields


class RestStationSerializer(NamesMixin, HoursMixin, serializers.ModelSerializer):
    amenities = serializers.SerializerMethodField(help_text="Any of: " + ", ".join(AMENITIES) + ".")
    marker = MarkerField()

    class Meta:
        model = RestStation
        fields = [
            "name",
            "name_en",
            "amenities",
            "opens_at",
            "closes_at",
            "notes",
            "notes_en",
            "marker",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(list(AMENITIES))))
    def get_amenities(self, obj: RestStation) -> list[str]:
        return [name for name, field in AMENITIES.items() if getattr(obj, field)]


class FacilitySerializer(NamesMixin, HoursMixin, serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    marker = MarkerField()

    class Meta:
        model = DeliveryFacility
        fields = [
            "kind",
            "kind_label",
            "name",
            "name_en",
            "status",
            "status_label",
            "capacity",
            "opens_at",
            "closes_at",
            "notes",
            "notes_en",
            "marker",
        ]
        read_only_fields = fields


class BuildingSerializer(serializers.ModelSerializer):
    marker = MarkerField()

    class Meta:
        model = Building
        fields = ["number", "name", "marker"]
        read_only_fields = fields


class SiteMapSerializer(serializers.Serializer):
    url = serializers.URLField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)


class CompanySerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()


class CommunityDetailSerializer(serializers.Serializer):
    """A community as a rider or a platform needs it: rules, gates, where to park and
    rest, cabinets and robots, and buildings — never its units (there may be 20,000).
    Serializes `selectors.pages.RulesPageData`, the rules page's own reads."""

    slug = serializers.SlugField(source="community.slug", read_only=True)
    name = serializers.CharField(source="community.name", read_only=True)
    address = serializers.CharField(source="community.address", read_only=True)
    office_phone = serializers.CharField(source="community.office_phone", read_only=True)
    office_location = serializers.CharField(source="community.office_location", read_only=True)
    company = CompanySerializer(source="community.company", read_only=True)
    url = serializers.SerializerMethodField(help_text="The community's delivery rules page.")
    site_map = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(
        source="community.updated_at",
        read_only=True,
        help_text="Last change to anything in the community.",
    )
    rules = RulesSerializer(read_only=True, allow_null=True, help_text="The current rules.")
    gates = GateSerializer(many=True, read_only=True)
    parking_zones = ParkingZoneSerializer(many=True, read_only=True)
    rest_stations = RestStationSerializer(many=True, read_only=True)
    facilities = FacilitySerializer(many=True, read_only=True)
    buildings = BuildingSerializer(many=True, read_only=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: RulesPageData) -> str:
        return absolute_url(
            self.context["request"], reverse("communities:rules", args=[obj.community.slug])
        )

    @extend_schema_field(SiteMapSerializer(allow_null=True))
    def get_site_map(self, obj: RulesPageData) -> dict[str, Any] | None:
        community = obj.community
        if not community.site_map:
            return None
        return {
            "url": absolute_url(self.context["request"], community.site_map.url),
            "width": community.site_map_width,
            "height": community.site_map_height,
        }
