"""Gate sync's tables (created by riders' migrations, so their names start with riders_;
the gatesync app took them over in its migration 0001 without touching the data).

AccessListHead     one row per community: the version of its access list (only grows)
AccessChange       the change log (outbox): one numbered row per change, written in the
                   same transaction as the change
AccessListEntry    the list itself as controllers should hold it, one row per grant that
                   may pass; snapshots are read from here
ControllerSync     what each controller holds and how its pushes went
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessListHead(models.Model):
    community = models.OneToOneField(
        "communities.Community",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="access_head",
        verbose_name=_("community"),
    )
    version = models.BigIntegerField(_("version"), default=0)
    # Protocol v2: snapshots carry (epoch, version) and a controller never takes a lower
    # pair without a signed reset. Bumped when a controller reports a version above the
    # head (this database was restored), so the new list is taken as newer.
    epoch = models.PositiveIntegerField(_("epoch"), default=1, db_default=1)
    # The entry policy and riders' hours as last logged (docs/gate-protocol.md §2).
    policy = models.JSONField(_("policy"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "riders_accesslisthead"
        verbose_name = _("access list head")
        verbose_name_plural = _("access list heads")

    def __str__(self) -> str:
        return f"{self.community_id}@{self.version}"


class ChangeOp(models.TextChoices):
    PUT = "put", _("add or update a pass")
    DEL = "del", _("remove a pass")
    POLICY = "policy", _("entry policy")
    KEYS = "keys", _("pass-signing keys")


class AccessChange(models.Model):
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="access_changes",
        verbose_name=_("community"),
    )
    version = models.BigIntegerField(_("version"))
    op = models.CharField(_("operation"), max_length=8, choices=ChangeOp.choices)
    grant_id = models.BigIntegerField(_("grant"), null=True, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    cause = models.CharField(_("cause"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        db_table = "riders_accesschange"
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "version"], name="access_change_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id}#{self.version} {self.op}"


class AccessListEntry(models.Model):
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="access_entries",
        verbose_name=_("community"),
    )
    grant = models.OneToOneField(
        "riders.AccessGrant",
        on_delete=models.CASCADE,
        related_name="list_entry",
        verbose_name=_("grant"),
    )
    rider_id = models.BigIntegerField(_("rider"))
    valid_from = models.BigIntegerField(_("valid from (Unix seconds)"))
    valid_until = models.BigIntegerField(_("valid until (Unix seconds)"), null=True)
    version = models.BigIntegerField(_("version"))

    class Meta:
        db_table = "riders_accesslistentry"
        verbose_name = _("access list entry")
        verbose_name_plural = _("access list entries")
        indexes = [
            models.Index(fields=["community", "grant"], name="access_entry_community"),
            models.Index(fields=["valid_until"], name="access_entry_until"),
        ]

    def __str__(self) -> str:
        return f"{self.community_id}:{self.grant_id}"

    def as_list(self) -> list[int | None]:
        return [self.grant_id, self.rider_id, self.valid_from, self.valid_until]


class ControllerSync(models.Model):
    controller = models.OneToOneField(
        "communities.GateController",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sync",
        verbose_name=_("controller"),
    )
    version_held = models.BigIntegerField(
        _("version held"), null=True, blank=True, help_text=_("Empty: never synced.")
    )
    needs_snapshot = models.BooleanField(_("full resync requested"), default=False)
    confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)
    last_push_at = models.DateTimeField(_("last push"), null=True, blank=True)
    last_push_kind = models.CharField(_("last push kind"), max_length=8, blank=True)
    last_push_bytes = models.PositiveIntegerField(_("last push bytes"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    offline_since = models.DateTimeField(_("offline since"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    reported_version = models.BigIntegerField(_("version reported"), null=True, blank=True)
    reported_digest = models.CharField(_("digest reported"), max_length=64, blank=True)
    firmware = models.CharField(_("firmware"), max_length=100, blank=True)
    clock_offset_seconds = models.IntegerField(_("clock offset (s)"), null=True, blank=True)
    # Protocol v2: the last heartbeat's sequence; a heartbeat not above it is refused.
    heartbeat_sequence = models.BigIntegerField(
        _("heartbeat sequence"), null=True, blank=True, editable=False
    )
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "riders_controllersync"
        verbose_name = _("controller sync state")
        verbose_name_plural = _("controller sync states")

    def __str__(self) -> str:
        return f"{self.controller_id}: {self.version_held}"
