"""Serializers that document the delivery-info API's answer in the OpenAPI schema.

Staff-entered texts come in both languages, whatever the request's language: the Chinese
value (`name`, `point`: the site's language, always set) and its English twin (`name_en`,
`point_en`: empty when staff gave none; show the Chinese value then, marked as Chinese)."""

from __future__ import annotations

from rest_framework import serializers

from communities.models import EntryPolicy


class DeliveryInfoMarkerSerializer(serializers.Serializer):
    x_pct = serializers.FloatField()
    y_pct = serializers.FloatField()


class DeliveryInfoHoursSerializer(serializers.Serializer):
    start = serializers.CharField(allow_null=True, help_text="HH:MM; both null: all day")
    end = serializers.CharField(allow_null=True)


ZH_HELP = "Chinese (zh-Hans), the site's language; always set."
EN_HELP = "English; empty when not given (then show the Chinese value, marked lang=zh-Hans)."


class DeliveryInfoHandoffSerializer(serializers.Serializer):
    point = serializers.CharField(help_text=ZH_HELP)
    point_en = serializers.CharField(allow_blank=True, help_text=EN_HELP)
    marker = DeliveryInfoMarkerSerializer(allow_null=True)


class DeliveryInfoGateSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=ZH_HELP)
    name_en = serializers.CharField(allow_blank=True, help_text=EN_HELP)
    opens_at = serializers.CharField(allow_null=True)
    closes_at = serializers.CharField(allow_null=True)
    marker = DeliveryInfoMarkerSerializer(allow_null=True)
    register_url = serializers.URLField(help_text="The gate's registration link (/r/<code>/)")


class DeliveryInfoParkingSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=ZH_HELP)
    name_en = serializers.CharField(allow_blank=True, help_text=EN_HELP)
    capacity = serializers.IntegerField()
    has_charging = serializers.BooleanField()
    marker = DeliveryInfoMarkerSerializer(allow_null=True)


class DeliveryInfoComponentSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True, help_text="null: not measured")


class DeliveryInfoFriendlinessSerializer(serializers.Serializer):
    score = serializers.IntegerField(allow_null=True, help_text="0–100")
    day = serializers.DateField()
    coverage = serializers.IntegerField(help_text="percent of the weight measured")
    components = DeliveryInfoComponentSerializer(many=True)
    url = serializers.URLField()


class DeliveryInfoSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    office_phone = serializers.CharField()
    rules_url = serializers.URLField()
    rules_version = serializers.IntegerField()
    entry_policy = serializers.ChoiceField(choices=EntryPolicy.choices)
    entry_policy_label = serializers.CharField()
    rider_hours = DeliveryInfoHoursSerializer()
    handoff = DeliveryInfoHandoffSerializer(allow_null=True)
    ebikes_allowed_inside = serializers.BooleanField()
    speed_limit_kmh = serializers.IntegerField(allow_null=True)
    gates = DeliveryInfoGateSerializer(many=True)
    parking = DeliveryInfoParkingSerializer(many=True)
    friendliness = DeliveryInfoFriendlinessSerializer(allow_null=True)


class RankedCommunitySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField()
    score = serializers.IntegerField(allow_null=True)
    day = serializers.DateField(allow_null=True)
    delivery_info_url = serializers.URLField()


class RankingSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    city = serializers.CharField()
    district = serializers.CharField()
    area = serializers.CharField()
    results = RankedCommunitySerializer(many=True)
