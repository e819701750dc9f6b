"""The standing coordination between a community's four sides (property staff, owners'
representatives, riders and their stations, the street/community office): meetings with
minutes and action items tracked to done, non-binding opinion polls, and daily snapshots
of the measured rider-friendliness index (coordination/friendliness/).

Writes go through coordination.services; models hold fields and checks only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FriendlinessSnapshot(models.Model):
    """The index of one community on one day, as computed by the beat task: the staff
    trend and the platforms' API read these rows instead of recomputing."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="friendliness_snapshots",
        verbose_name=_("community"),
    )
    day = models.DateField(_("day"))
    score = models.PositiveSmallIntegerField(_("score (0–100)"), null=True, blank=True)
    components = models.JSONField(_("components"), default=list)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("rider-friendliness snapshot")
        verbose_name_plural = _("rider-friendliness snapshots")
        ordering = ["community", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["community", "day"], name="friendliness_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.day}: {self.score}"


class Side(models.TextChoices):
    STAFF = "staff", _("property staff")
    OWNERS = "owners", _("owners' representatives")
    RIDERS = "riders", _("riders and station managers")
    OFFICE = "office", _("street / community office")


class Meeting(models.Model):
    """A coordination meeting of one community. The agenda is assembled when the meeting
    is scheduled (open feedback, gate figures, pending facility ideas) and can be edited;
    minutes become public when published."""

    class Recurrence(models.TextChoices):
        NONE = "none", _("once")
        MONTHLY = "monthly", _("every month")

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="meetings",
        verbose_name=_("community"),
    )
    title = models.CharField(_("title"), max_length=200)
    scheduled_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    recurrence = models.CharField(
        _("repeats"), max_length=16, choices=Recurrence.choices, default=Recurrence.MONTHLY
    )
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_published_at = models.DateTimeField(_("minutes published"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        ordering = ["community", "-scheduled_at"]
        indexes = [models.Index(fields=["community", "-scheduled_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_at:%Y-%m-%d})"


class Participant(models.Model):
    """Someone at the table: a portal user (staff) or a free-text name for outside
    parties (the street office, a platform's station manager, an owners' representative)."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name=_("meeting")
    )
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail (for reminders)"), blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["meeting", "side", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_side_display()})"


class ActionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("action item", "open")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


#: Shown on the public page until done (or dropped).
ACTION_OPEN_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class ActionItem(models.Model):
    """A decision of a meeting: who does what by when, tracked to done."""

    Status = ActionStatus

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="actions", verbose_name=_("meeting")
    )
    # Denormalised from the meeting so the public page lists a community's open items
    # with one indexed query.
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="action_items",
        verbose_name=_("community"),
    )
    title = models.CharField(_("decision"), max_length=300)
    owner_name = models.CharField(_("who does it"), max_length=200)
    owner_side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    owner_email = models.EmailField(_("e-mail (for reminders)"), blank=True)
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    note = models.CharField(_("status note"), max_length=300, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["community", "status", "due_on"])]

    def __str__(self) -> str:
        return self.title


class PollAudience(models.TextChoices):
    OWNERS = "owners", _("owners")
    RIDERS = "riders", _("riders")


class PollChoice(models.TextChoices):
    SUPPORT = "support", _("I support it")
    OPPOSE = "oppose", _("I am against it")
    NO_OPINION = "no_opinion", _("No opinion")


class Poll(models.Model):
    """A non-binding opinion poll of owners or of riders on a proposed facility or rule,
    run before a binding resolution; its result can be attached to that resolution."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="polls",
        verbose_name=_("community"),
    )
    audience = models.CharField(_("who is asked"), max_length=16, choices=PollAudience.choices)
    question = models.CharField(_("question"), max_length=300)
    proposal = models.TextField(_("the proposal"), blank=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    resolution = models.ForeignKey(
        "governance.Resolution",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolution it led to"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("opinion poll")
        verbose_name_plural = _("opinion polls")
        ordering = ["community", "-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="poll_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.question


class PollAnswer(models.Model):
    """One owner's or one rider's answer (changeable while the poll is open)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="answers")
    owner = models.ForeignKey(
        "governance.Owner", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rider = models.ForeignKey(
        "riders.Rider", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    choice = models.CharField(_("answer"), max_length=16, choices=PollChoice.choices)
    answered_at = models.DateTimeField(_("answered"), auto_now=True)

    class Meta:
        verbose_name = _("poll answer")
        verbose_name_plural = _("poll answers")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) ^ Q(rider__isnull=True),
                name="poll_answer_one_person",
            ),
            models.UniqueConstraint(
                fields=["poll", "owner"], condition=Q(owner__isnull=False), name="poll_owner_once"
            ),
            models.UniqueConstraint(
                fields=["poll", "rider"], condition=Q(rider__isnull=False), name="poll_rider_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.poll_id}: {self.choice}"


class StreetOffice(models.Model):
    """A street (sub-district) office: its members see the rider-friendliness ranking and
    each community's index page for the communities of their district, whatever company
    runs them — aggregate, public figures only (no staff pages, no riders). Superusers
    create offices and name their members in the admin."""

    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=40)
    district = models.CharField(_("district"), max_length=40)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="street_offices",
        verbose_name=_("members"),
    )

    class Meta:
        verbose_name = _("street office")
        verbose_name_plural = _("street offices")
        ordering = ["city", "district", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.city} {self.district})"
