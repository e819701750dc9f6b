"""Changes outside riders that alter what gates must know: a community's delivery rules
(entry policy, riders' hours) and its controllers."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from communities.models import DeliveryRules, GateController

from .outbox import policy_changed, policy_for, push_after_commit


@receiver(post_save, sender=DeliveryRules, dispatch_uid="gatesync-rules")
def _rules_published(sender: type, instance: DeliveryRules, created: bool, **kwargs: Any) -> None:
    # Rules are versioned and never edited: a new row is a new current version, saved
    # inside rules_publish's transaction, so the log row commits (or not) with it.
    if created and not kwargs.get("raw"):
        policy_changed(instance.community_id, policy_for(instance), cause="rules_publish")


@receiver(post_save, sender=GateController, dispatch_uid="gatesync-controller")
def _controller_saved(sender: type, instance: GateController, **kwargs: Any) -> None:
    # A new or edited controller (endpoint, secret, enabled) gets what it lacks at once.
    if not kwargs.get("raw") and instance.enabled:
        from .models import ControllerSync

        ControllerSync.objects.get_or_create(controller=instance)
        push_after_commit(instance.gate.community_id)
