"""Changes outside riders that alter what gates must know: a community's delivery rules
(entry policy, riders' hours) and its controllers."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from communities.models import DeliveryRules, Gate, GateController

from .outbox import community_policy, policy_changed, push_after_commit


@receiver(post_save, sender=DeliveryRules, dispatch_uid="gatesync-rules")
def _rules_published(sender: type, instance: DeliveryRules, created: bool, **kwargs: Any) -> None:
    # Rules are versioned and never edited: a new row is a new current version, saved
    # inside rules_publish's transaction, so the log row commits (or not) with it.
    if created and not kwargs.get("raw"):
        policy = community_policy(instance.community_id, instance)
        policy_changed(instance.community_id, policy, cause="rules_publish")


GATE_RULE_FIELDS = {"open_to_riders", "opens_at", "closes_at"}


@receiver(post_save, sender=Gate, dispatch_uid="gatesync-gate")
def _gate_changed(sender: type, instance: Gate, **kwargs: Any) -> None:
    # Open to riders or not, and a gate's hours, are in the list (protocol v2 §2): an
    # offline controller must deny at a closed gate as online verification does. Nothing
    # is logged when they did not change (policy_changed compares). A deleted gate's
    # controllers go with it, so deletions need nothing.
    fields = kwargs.get("update_fields")
    if kwargs.get("raw") or (fields is not None and not GATE_RULE_FIELDS & set(fields)):
        return
    from communities.models import Community
    from communities.services import rules_current

    community = Community.objects.filter(pk=instance.community_id).first()
    if community is not None:
        policy = community_policy(community.pk, rules_current(community))
        policy_changed(community.pk, policy, cause="gate_changed")


@receiver(post_save, sender=GateController, dispatch_uid="gatesync-controller")
def _controller_saved(sender: type, instance: GateController, **kwargs: Any) -> None:
    # A new or edited controller (endpoint, secret, enabled) gets what it lacks at once.
    if not kwargs.get("raw") and instance.enabled:
        from .models import ControllerSync

        ControllerSync.objects.get_or_create(controller=instance)
        push_after_commit(instance.gate.community_id)
