"""Owners, their units, resolutions and ballots.

Who votes is decided by the **roll frozen when a resolution opens** (`RollEntry`): a sale
during the vote does not change who votes or with which area. One roll entry is one
*voter* in the sense of Civil Code Art. 278 (see `governance/tally.py` for the exact
definition); a `Ballot` belongs to a roll entry, and the database keeps at most one per
voter and resolution.

Writes go through `governance.services`; models hold fields, constraints and checks that
need no extra query.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.media import private_storage


class Owner(models.Model):
    """A person (or the developer) who owns units. May exist before they have a log-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owner",
        verbose_name=_("log-in"),
    )
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ownership(models.Model):
    """`owner` holds `unit`. Several rows for one unit make its co-owners (they vote as one,
    see tally.py); `developer_held` marks the developer's unsold units, which together
    count as one voter whoever the developer's owner row is."""

    unit = models.ForeignKey(
        "communities.Unit",
        on_delete=models.CASCADE,
        related_name="ownerships",
        verbose_name=_("unit"),
    )
    owner = models.ForeignKey(
        Owner, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("owner")
    )
    developer_held = models.BooleanField(_("unsold, held by the developer"), default=False)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.UniqueConstraint(fields=["unit", "owner"], name="ownership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} — {self.unit_id}"


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


class RollEntry(models.Model):
    """One voter on a resolution's roll, frozen when it opened: their units and area."""

    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, related_name="roll", verbose_name=_("resolution")
    )
    voter_key = models.CharField(_("voter"), max_length=200)
    unit_ids = models.JSONField(_("units"), default=list)
    unit_labels = models.TextField(_("house numbers"))
    # Exclusive area in hundredths of m², so sums are exact integers on every database.
    area_hundredths = models.BigIntegerField(_("area (0.01 m²)"))
    developer = models.BooleanField(_("developer's unsold units"), default=False)
    owners = models.ManyToManyField(
        Owner, through="RollMember", related_name="+", verbose_name=_("who may vote")
    )

    class Meta:
        verbose_name = _("roll entry")
        verbose_name_plural = _("roll entries")
        ordering = ["resolution", "id"]
        constraints = [
            models.UniqueConstraint(fields=["resolution", "voter_key"], name="roll_voter_unique")
        ]

    def __str__(self) -> str:
        return self.unit_labels


class RollMember(models.Model):
    """An owner who may cast the ballot of a roll entry (a co-owned unit has several)."""

    entry = models.ForeignKey(RollEntry, on_delete=models.CASCADE, related_name="members")
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="roll_memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "owner"], name="roll_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} → {self.entry_id}"


class Choice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


def receipt_code_new() -> str:
    """Ten characters an owner can read out: enough that codes cannot be guessed."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class Ballot(models.Model):
    """A voter's current choice. One per voter and resolution, enforced by the database."""

    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("resolution")
    )
    voter = models.ForeignKey(
        RollEntry, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("voter")
    )
    choice = models.CharField(_("choice"), max_length=8, choices=Choice.choices)
    receipt = models.CharField(_("receipt code"), max_length=16, default=receipt_code_new)
    cast_by = models.ForeignKey(
        Owner, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("cast by")
    )
    cast_at = models.DateTimeField(_("first cast"), default=timezone.now)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["resolution", "voter"], name="one_ballot_per_voter")
        ]

    def __str__(self) -> str:
        return f"{self.resolution_id}/{self.voter_id}: {self.choice}"


class AppendOnlyError(RuntimeError):
    pass


class AppendOnly(models.Model):
    """Rows are written once: saving an existing row or deleting one raises."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are never deleted.")


class BallotLog(AppendOnly):
    """Every cast and every change of a ballot, in order."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="log")
    voter = models.ForeignKey(RollEntry, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(Owner, null=True, on_delete=models.SET_NULL, related_name="+")
    choice = models.CharField(_("choice"), max_length=8, choices=Choice.choices)
    previous_choice = models.CharField(_("previous choice"), max_length=8, blank=True)
    receipt = models.CharField(_("receipt code"), max_length=16)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("ballot log entry")
        verbose_name_plural = _("ballot log")
        ordering = ["resolution", "id"]

    def __str__(self) -> str:
        return f"{self.resolution_id}/{self.voter_id}: {self.choice} at {self.at:%Y-%m-%d %H:%M}"


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


class RulesDecision(models.Model):
    """Which resolution set a version of a community's delivery rules."""

    rules = models.OneToOneField(
        "communities.DeliveryRules",
        on_delete=models.CASCADE,
        related_name="decision",
        verbose_name=_("delivery rules"),
    )
    resolution = models.ForeignKey(
        Resolution,
        on_delete=models.CASCADE,
        related_name="rules_decisions",
        verbose_name=_("resolution"),
    )

    class Meta:
        verbose_name = _("rules decision")
        verbose_name_plural = _("rules decisions")

    def __str__(self) -> str:
        return f"{self.rules} ← {self.resolution}"


class Reminder(models.Model):
    """An owner was reminded to vote on a resolution (once: the task may run again)."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resolution", "owner"], name="remind_once")]

    def __str__(self) -> str:
        return f"{self.resolution_id} → {self.owner_id}"


def feedback_token_new() -> str:
    return secrets.token_urlsafe(16)


class Feedback(models.Model):
    """A rider's or an owner's report to the property company, triaged by staff. The
    sender follows it by a secret link (riders need no account)."""

    class Sender(models.TextChoices):
        RIDER = "rider", _("rider")
        OWNER = "owner", _("owner")

    class Category(models.TextChoices):
        ACCESS = "access", _("getting in at the gate")
        HANDOFF = "handoff", _("hand-off point")
        PARKING = "parking", _("parking")
        SIGNS = "signs", _("house-number signs and directions")
        SAFETY = "safety", _("safety")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        NEW = "new", _("new")
        IN_PROGRESS = "in_progress", _("being handled")
        RESOLVED = "resolved", _("resolved")
        REJECTED = "rejected", _("not taken up")

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("community"),
    )
    sender = models.CharField(_("from"), max_length=8, choices=Sender.choices)
    owner = models.ForeignKey(
        Owner, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    contact = models.CharField(_("contact (optional)"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    place = models.CharField(_("where"), max_length=200, blank=True)
    text = models.TextField(_("what happened"), max_length=4000)
    photo = models.ImageField(
        _("photo (optional)"), upload_to="feedback/", blank=True, storage=private_storage
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    reply = models.TextField(_("reply from the property office"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    token = models.CharField(max_length=32, unique=True, default=feedback_token_new)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.text[:40]}"


class Notice(models.Model):
    """A property announcement shown on owners' pages (and the rules page, if it wants)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("community"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    expires_at = models.DateTimeField(_("shown until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at"]
        indexes = [models.Index(fields=["community", "-published_at"])]

    def __str__(self) -> str:
        return self.title


class GrantSuspension(models.Model):
    """A rider's grant a no-entry resolution suspended. A later resolution that lets riders
    in again reinstates exactly these (`lifted_by`), and only while the grant is still
    suspended for that resolution: staff's own suspensions and revocations stay."""

    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, related_name="grant_suspensions"
    )
    grant = models.ForeignKey(
        "riders.AccessGrant", on_delete=models.CASCADE, related_name="resolution_suspensions"
    )
    # The reason written on the grant; a different reason now means staff changed it.
    reason = models.CharField(max_length=200)
    lifted_by = models.ForeignKey(
        Resolution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reinstated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resolution", "grant"], name="suspension_once")
        ]
        indexes = [models.Index(fields=["grant", "lifted_by"])]

    def __str__(self) -> str:
        return f"{self.resolution_id} ⊘ {self.grant_id}"
