"""Any change inside a community bumps `Community.updated_at`, which is part of every
cache key for the community's pages, so no stale rules page outlives a change — across
processes too, since the key is read from the database.

And the domain signals by which communities tells the rooms above it (gate sync) what
changed, without knowing them:

rules_published     rules=DeliveryRules; sent by services.rules_publish inside its
                    transaction (rules are never edited, only published anew)
gate_rules_changed  gate=Gate; a gate's opening to riders or its hours may have changed
                    (gates are edited in the admin, with no service: sent on save)
controller_saved    controller=GateController; a controller was added or edited
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from django.utils import timezone

from .models import (
    Building,
    Community,
    DeliveryFacility,
    DeliveryRules,
    Gate,
    GateController,
    ParkingZone,
    RestStation,
    Unit,
)


def community_touch(community_id: int | None) -> None:
    if community_id is not None:
        Community.objects.filter(pk=community_id).update(updated_at=timezone.now())


_DIRECT = (Building, Gate, ParkingZone, RestStation, DeliveryFacility, DeliveryRules)


def _touch_on_change(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    if sender in _DIRECT:
        community_touch(instance.community_id)
    elif sender is Unit:
        community_id = (
            Building.objects.filter(pk=instance.building_id)
            .values_list("community_id", flat=True)
            .first()
        )
        community_touch(community_id)
    elif sender is GateController:
        community_id = (
            Gate.objects.filter(pk=instance.gate_id).values_list("community_id", flat=True).first()
        )
        community_touch(community_id)


# Connected per model, not to every model: a receiver of post_delete for every sender
# makes Django load each row of every bulk delete in the project (no fast delete).
for _model in (*_DIRECT, Unit, GateController):
    post_save.connect(_touch_on_change, sender=_model, dispatch_uid=f"touch-save-{_model.__name__}")
    post_delete.connect(
        _touch_on_change, sender=_model, dispatch_uid=f"touch-delete-{_model.__name__}"
    )


rules_published = Signal()
gate_rules_changed = Signal()
controller_saved = Signal()

GATE_RULE_FIELDS = {"open_to_riders", "opens_at", "closes_at"}


def _gate_saved(sender, instance: Gate, **kwargs) -> None:
    fields = kwargs.get("update_fields")
    if kwargs.get("raw") or (fields is not None and not GATE_RULE_FIELDS & set(fields)):
        return
    gate_rules_changed.send(sender=Gate, gate=instance)


def _controller_saved(sender, instance: GateController, **kwargs) -> None:
    if not kwargs.get("raw"):
        controller_saved.send(sender=GateController, controller=instance)


post_save.connect(_gate_saved, sender=Gate, dispatch_uid="gate-rules-changed")
post_save.connect(_controller_saved, sender=GateController, dispatch_uid="controller-saved")
