from rest_framework import serializers

from ..models import Direction


class VerifyRequestSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1024, trim_whitespace=True)
    gate = serializers.CharField(
        max_length=64, help_text="The gate's entry code, or its numeric id."
    )
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.IN)


class VerifyRiderSerializer(serializers.Serializer):
    name = serializers.CharField()
    photo_url = serializers.CharField(allow_null=True)
    platform = serializers.CharField()
    station = serializers.CharField()
    phone_masked = serializers.CharField()
    vehicle_plate = serializers.CharField(allow_blank=True)


class VerifyResponseSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["open", "deny"])
    reason = serializers.CharField()
    message = serializers.CharField()
    direction = serializers.CharField()
    rider = VerifyRiderSerializer(allow_null=True)
    event_id = serializers.UUIDField()


class DeactivateResponseSerializer(serializers.Serializer):
    rider = serializers.CharField()
    grants_suspended = serializers.IntegerField()
