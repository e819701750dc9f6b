"""A community's gates, their former entry codes and the controllers that hold their
access lists."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.netguard import EndpointRefused, endpoint_check

from .abstract import MapMarker, OpeningHours
from .company import Community


def gate_entry_code_new() -> str:
    """A fresh random gate entry code: 16 bytes (128 bits), URL-safe, 22 characters.
    Never starting with "-", so a code can be given to a command-line option as is."""
    while True:
        code = secrets.token_urlsafe(16)
        if not code.startswith("-"):
            return code


class Gate(MapMarker, OpeningHours):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="gates", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    # The code printed on the gate's poster (/r/<code>/, /guard/<code>/). Random and long
    # enough that codes cannot be guessed; replaced with riders.services.gates.gate_code_rotate.
    entry_code = models.CharField(
        _("entry code"),
        max_length=64,
        unique=True,
        default=gate_entry_code_new,
        editable=False,
    )
    open_to_riders = models.BooleanField(_("open to riders"), default=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    notes_en = models.CharField(_("notes (English)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="gate_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.clean_hours()


class GateCodeHistory(models.Model):
    """An entry code a gate used to have, so an old poster can say "this code was replaced"."""

    gate = models.ForeignKey(
        Gate, on_delete=models.CASCADE, related_name="code_history", verbose_name=_("gate")
    )
    code = models.CharField(_("former entry code"), max_length=64, unique=True)
    replaced_at = models.DateTimeField(_("replaced at"), auto_now_add=True)

    class Meta:
        verbose_name = _("former gate entry code")
        verbose_name_plural = _("former gate entry codes")
        ordering = ["gate", "-replaced_at"]

    def __str__(self) -> str:
        return f"{self.gate}: {self.code}"


class GateController(models.Model):
    """A device at a gate that holds the access list. Syncing is done by gatesync."""

    class Driver(models.TextChoices):
        HTTP_JSON = "http_json", _("Last100 gate protocol (HTTP JSON)")
        HIKVISION_ISAPI = "hikvision_isapi", _("Hikvision ISAPI")

    gate = models.ForeignKey(
        Gate, on_delete=models.CASCADE, related_name="controllers", verbose_name=_("gate")
    )
    name = models.CharField(_("name"), max_length=100)
    driver = models.CharField(
        _("driver"), max_length=32, choices=Driver.choices, default=Driver.HTTP_JSON
    )
    endpoint = models.URLField(_("endpoint"), max_length=300)
    username = models.CharField(_("user name"), max_length=100, blank=True)
    secret = models.CharField(
        _("shared secret or password"),
        max_length=200,
        blank=True,
        help_text=_("Used to sign requests (HMAC) or for HTTP Digest log-in."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    # Gate protocol version the controller speaks (docs/gate-protocol.md §9): 2 signs
    # every message over method, path, nonce and direction; 1 is deprecated and accepted
    # only until gatesync.auth.V1_SUNSET. Controllers added before v2 were set to 1.
    protocol = models.PositiveSmallIntegerField(
        _("protocol version"), choices=[(1, "1 (deprecated)"), (2, "2")], default=2
    )

    class Meta:
        verbose_name = _("gate controller")
        verbose_name_plural = _("gate controllers")
        ordering = ["gate", "name"]

    def __str__(self) -> str:
        return f"{self.gate} / {self.name}"

    def clean(self) -> None:
        super().clean()
        # Staff choose where workers send signed requests: never an internal address
        # (issue #16 item 5). One message whatever the cause, so the form is no oracle for
        # which internal names resolve.
        if self.endpoint:
            try:
                endpoint_check(self.endpoint)
            except EndpointRefused as exc:
                raise ValidationError(
                    {
                        "endpoint": _(
                            "The portal cannot use this address for a controller: it must "
                            "resolve to a public address, or to a network the portal's "
                            "operator allowed."
                        )
                    }
                ) from exc
        # Protocol 1 messages can be replayed (docs/gate-protocol.md §9): a controller goes
        # forward to 2, never back, and a new one starts on 2.
        if self.protocol == 1:
            saved = (
                type(self).objects.filter(pk=self.pk).values_list("protocol", flat=True).first()
                if self.pk
                else None
            )
            if saved != 1:
                raise ValidationError(
                    {
                        "protocol": _(
                            "Protocol 1 is deprecated and its messages can be replayed: a "
                            "controller can move to protocol 2 but not back to 1."
                        )
                    }
                )
