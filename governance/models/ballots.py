"""Ballots (a voter's current choice) and the log of every cast and change."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .append_only import AppendOnly
from .owners import Owner
from .resolutions import Resolution
from .roll import RollEntry


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
