"""Changes in communities that alter what gates must know, heard through communities'
named domain signals (communities.signals): the delivery rules published, a gate's
opening to riders or hours, a controller saved."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from communities.models import DeliveryRules, Gate, GateController
from communities.signals import controller_saved, gate_rules_changed, rules_published

from .interface import policy_changed
from .models import ControllerSync
from .tasks import push_after_commit


@receiver(rules_published, dispatch_uid="gatesync-rules")
def _rules_published(sender: type, rules: DeliveryRules, **kwargs: Any) -> None:
    # Sent inside rules_publish's transaction: the log row commits (or not) with the rules.
    policy_changed(community_id=rules.community_id, cause="rules_publish")


@receiver(gate_rules_changed, dispatch_uid="gatesync-gate")
def _gate_rules_changed(sender: type, gate: Gate, **kwargs: Any) -> None:
    # Open to riders or not, and a gate's hours, are in the list (protocol v2 §2): an
    # offline controller must deny at a closed gate as online verification does. Nothing
    # is logged when they did not change (policy_changed compares). A deleted gate's
    # controllers go with it, so deletions need nothing.
    policy_changed(community_id=gate.community_id, cause="gate_changed")


@receiver(controller_saved, dispatch_uid="gatesync-controller")
def _controller_saved(sender: type, controller: GateController, **kwargs: Any) -> None:
    # A new or edited controller (endpoint, secret, enabled) gets what it lacks at once.
    if controller.enabled:
        ControllerSync.objects.get_or_create(controller=controller)
        push_after_commit(controller.gate.community_id)
