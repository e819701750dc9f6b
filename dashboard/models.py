"""Hourly roll-ups of access events, and how far the roll-up has read.

Events are rolled up continuously (every closed batch, by event id) so the charts read a
few hundred roll-up rows instead of every scan of the week; raw events older than
`DASHBOARD_EVENT_RETENTION_DAYS` are then deleted (whereabouts are personal data), and
the charts keep working from the roll-ups.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from riders.models import Decision, Direction, Reason


class HourlyEventCount(models.Model):
    """How many events of one kind happened at one gate in one hour (UTC hour start)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("community"),
    )
    gate = models.ForeignKey(
        "communities.Gate", on_delete=models.CASCADE, related_name="+", verbose_name=_("gate")
    )
    hour = models.DateTimeField(_("hour"))
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("hourly event count")
        verbose_name_plural = _("hourly event counts")
        constraints = [
            models.UniqueConstraint(
                fields=["gate", "hour", "direction", "decision", "reason"],
                name="hourly_count_unique",
            )
        ]
        indexes = [models.Index(fields=["community", "hour"], name="hourly_count_comm_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h gate {self.gate_id} {self.direction} {self.decision}"


class RollupMark(models.Model):
    """One row: every access event with an id up to `last_event_id` is counted in
    `HourlyEventCount`; later ones are read raw."""

    last_event_id = models.BigIntegerField(_("last event rolled up"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("roll-up mark")
        verbose_name_plural = _("roll-up marks")

    def __str__(self) -> str:
        return f"events up to #{self.last_event_id}"
