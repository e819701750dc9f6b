"""Resolutions put to a community's owners, their state changes and the reminders sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .append_only import AppendOnly
from .owners import Owner


class Matter(models.TextChoices):
    ORDINARY = "ordinary", _("ordinary matter (more than half)")
    MAJOR = "major", _("major matter, Art. 278 items 6–8 (at least three quarters)")


class ResolutionState(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("open for voting")
    CLOSED = "closed", _("closed, being counted")
    PASSED = "passed", _("passed")
    FAILED = "failed", _("failed")
    PASSED_PENDING = "passed_pending", _("passed — hand-off rules needed")


class Resolution(models.Model):
    """A question put to a community's owners.

    `effect` is what a passed resolution does, as JSON:
    `{"type": "entry_policy", "policy": "no_entry", "handoff_point": "..."}`,
    `{"type": "facility", "kind": "food_cabinet", "name": "...", "x_pct": 40, "y_pct": 60}`
    or `{"type": "none"}` (see `governance.effects`).
    """

    State = ResolutionState

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="resolutions",
        verbose_name=_("community"),
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    matter = models.CharField(
        _("matter"), max_length=16, choices=Matter.choices, default=Matter.ORDINARY
    )
    # Why staff raised an ordinary matter to a major one (the effect alone decides
    # otherwise; see governance.effects.matter_of_effect).
    matter_reason = models.CharField(_("why it is a major matter"), max_length=300, blank=True)
    effect = models.JSONField(_("effect when passed"), default=dict, blank=True)
    allow_vote_change = models.BooleanField(_("owners may change their vote"), default=True)
    opens_at = models.DateTimeField(_("voting opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("voting closes"), null=True, blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=ResolutionState.choices,
        default=ResolutionState.DRAFT,
        db_index=True,
    )
    # Figures of the count (integers, areas in hundredths of m²), stored at closing.
    result = models.JSONField(_("result"), null=True, blank=True)
    staff_message = models.CharField(_("message to staff"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["community", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "number"], name="resolution_number_unique"
            ),
        ]
        indexes = [models.Index(fields=["state", "closes_at"])]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_decided(self) -> bool:
        return self.state in (
            ResolutionState.PASSED,
            ResolutionState.FAILED,
            ResolutionState.PASSED_PENDING,
        )

    def accepts_ballots_at(self, moment) -> bool:
        return (
            self.state == ResolutionState.OPEN
            and self.opens_at is not None
            and self.closes_at is not None
            and self.opens_at <= moment < self.closes_at
        )

    @property
    def accepts_ballots_now(self) -> bool:
        return self.accepts_ballots_at(timezone.now())

    @property
    def is_upcoming(self) -> bool:
        return (
            self.state == ResolutionState.OPEN
            and self.opens_at is not None
            and timezone.now() < self.opens_at
        )

    @property
    def status_display(self) -> str:
        """The state as owners and staff read it: an open resolution whose window has not
        begun is "upcoming", as the lists group it, not "open for voting"."""
        if self.is_upcoming:
            return str(_("upcoming"))
        return self.get_state_display()


class ResolutionEvent(AppendOnly):
    """A change of a resolution's state."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("resolution event")
        verbose_name_plural = _("resolution events")
        ordering = ["resolution", "id"]

    def __str__(self) -> str:
        return f"{self.resolution_id}: {self.from_state} → {self.to_state}"


class Reminder(models.Model):
    """An owner was reminded to vote on a resolution (once: the task may run again)."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resolution", "owner"], name="remind_once")]

    def __str__(self) -> str:
        return f"{self.resolution_id} → {self.owner_id}"
