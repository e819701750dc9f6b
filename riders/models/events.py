"""Scans at a gate and what was decided."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .grants import AccessGrant
from .rider import Rider


class Direction(models.TextChoices):
    IN = "in", _("entry")
    OUT = "out", _("exit")


class Decision(models.TextChoices):
    OPEN = "open", _("open")
    DENY = "deny", _("deny")


class Reason(models.TextChoices):
    OK = "ok", _("Pass valid")
    EXPIRED = "expired", _("Pass expired")
    BAD_SIGNATURE = "bad_signature", _("Pass not genuine")
    REVOKED = "revoked", _("Access revoked")
    SUSPENDED = "suspended", _("Access suspended")
    PENDING = "pending", _("Waiting for approval")
    OTHER_COMMUNITY = "other_community", _("Pass is for another community")
    OUTSIDE_HOURS = "outside_hours", _("Outside riders' hours")
    REPLAYED = "replayed", _("Pass already used")
    UNKNOWN_GRANT = "unknown_grant", _("Unknown pass")
    MALFORMED = "malformed", _("Not a pass")
    GATE_CLOSED_TO_RIDERS = "gate_closed_to_riders", _("This gate is closed to riders")
    NO_ENTRY = "no_entry", _("Riders may not enter this community")


class EventSource(models.TextChoices):
    ONLINE = "online", _("online verification")
    CONTROLLER = "controller", _("gate controller")
    GUARD = "guard", _("guard console")


class AccessEvent(models.Model):
    """One scan at a gate and what was decided. `event_id` makes reports idempotent:
    a controller re-sending an event it already sent changes nothing."""

    Direction = Direction
    Decision = Decision
    Reason = Reason
    Source = EventSource

    event_id = models.UUIDField(_("event id"), unique=True, default=uuid.uuid4)
    # gate and rider: no index of their own; the (gate, time) and (rider, time) indexes
    # below serve every lookup by them (on 5M events the single ones cost 109 MB).
    gate = models.ForeignKey(
        "communities.Gate",
        on_delete=models.CASCADE,
        related_name="access_events",
        verbose_name=_("gate"),
        db_index=False,
    )
    grant = models.ForeignKey(
        AccessGrant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("grant"),
    )
    rider = models.ForeignKey(
        Rider,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("rider"),
        db_index=False,
    )
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    source = models.CharField(_("source"), max_length=16, choices=EventSource.choices)
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    # How long deciding took, in milliseconds: timed by online verification itself, or
    # reported by the controller that decided offline (gate protocol, optional). Null:
    # not reported (older controllers, guard-console entries typed in).
    decision_ms = models.PositiveIntegerField(_("decision time (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["gate", "-occurred_at"], name="event_gate_time"),
            models.Index(fields=["rider", "-occurred_at"], name="event_rider_time"),
            # The grant's foreign key index serves lookups by grant; a BRIN index on
            # occurred_at (PostgreSQL only, migration 0004) serves time ranges.
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.direction} {self.decision}"
