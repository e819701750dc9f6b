"""Riders, the platforms that vouch for them, their access grants to communities, gate
events, and the keys that sign and verify identity assertions and passes.

Every change to a grant goes through `riders.services.grants`; models only hold fields,
constraints and checks that need no extra query.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.masking import mask_phone
from core.media import private_storage

ALG_EDDSA = "EdDSA"
ALG_ES256 = "ES256"


def validate_public_jwk(value: Any) -> None:
    """A public key as a JWK: OKP/Ed25519 (EdDSA) or EC/P-256 (ES256), never a private one."""
    if not isinstance(value, dict):
        raise ValidationError(_("The key must be a JSON object (a JWK)."))
    if "d" in value:
        raise ValidationError(_("This is a private key. Register the public key only."))
    kty, crv = value.get("kty"), value.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        needed = ("x",)
    elif kty == "EC" and crv == "P-256":
        needed = ("x", "y")
    else:
        raise ValidationError(
            _("Only Ed25519 (kty OKP) and P-256 (kty EC) public keys are accepted.")
        )
    for name in needed:
        if not isinstance(value.get(name), str) or not value[name]:
            raise ValidationError(_("The key lacks its “%(name)s” coordinate.") % {"name": name})
    # Parse it for real, so a malformed coordinate is caught here and not at a gate.
    from .services.jwk import public_key_from_jwk

    try:
        public_key_from_jwk(value)
    except ValueError as exc:
        raise ValidationError(_("The key cannot be read: %(error)s") % {"error": exc}) from exc


def jwk_alg(jwk: dict[str, Any]) -> str:
    return ALG_EDDSA if jwk.get("kty") == "OKP" else ALG_ES256


class Platform(models.Model):
    """A delivery platform (Meituan, Ele.me, …) that vouches for its riders' identity."""

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Short name; the platform's assertions carry it as issuer (iss)."),
    )
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("delivery platform")
        verbose_name_plural = _("delivery platforms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlatformKey(models.Model):
    """A platform's public key for identity assertions. Several may be active at once so a
    platform can rotate: register the new key, move signing to it, retire the old one."""

    class Alg(models.TextChoices):
        EDDSA = ALG_EDDSA, "EdDSA (Ed25519)"
        ES256 = ALG_ES256, "ES256 (P-256)"

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="keys", verbose_name=_("platform")
    )
    kid = models.CharField(_("key id (kid)"), max_length=100)
    alg = models.CharField(_("algorithm"), max_length=8, choices=Alg.choices)
    public_jwk = models.JSONField(
        _("public key (JWK)"),
        validators=[validate_public_jwk],
        help_text=_('A JSON Web Key, e.g. {"kty": "OKP", "crv": "Ed25519", "x": "…"}.'),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("platform key")
        verbose_name_plural = _("platform keys")
        ordering = ["platform", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "kid"], name="platform_key_kid_unique")
        ]

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.kid}"

    def clean(self) -> None:
        super().clean()
        if isinstance(self.public_jwk, dict) and self.alg:
            expected = jwk_alg(self.public_jwk)
            if self.alg != expected:
                raise ValidationError(
                    {"alg": _("This key is used with %(alg)s.") % {"alg": expected}}
                )


class Rider(models.Model):
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="riders", verbose_name=_("platform")
    )
    platform_rider_id = models.CharField(_("rider id at the platform"), max_length=100)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    photo = models.ImageField(_("photo"), upload_to="riders/", blank=True, storage=private_storage)
    station = models.CharField(_("station"), max_length=100, blank=True)
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=40, blank=True)
    verified_by_platform = models.BooleanField(
        _("verified by the platform"),
        default=False,
        help_text=_("Registered through a signed assertion of the platform."),
    )
    platform_active = models.BooleanField(
        _("active at the platform"),
        default=True,
        help_text=_("Cleared when the platform deactivates the rider."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("rider")
        verbose_name_plural = _("riders")
        ordering = ["name"]
        # Global (user or group): unmasked phones on one rider's page, each view audited.
        permissions = [("view_personal_data", _("Can view riders' personal data unmasked"))]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_rider_id"], name="rider_unique_per_platform"
            )
        ]
        indexes = [
            models.Index(fields=["name"], name="rider_name_idx"),
            models.Index(fields=["vehicle_plate"], name="rider_plate_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class RiderDeactivation(models.Model):
    """A platform deactivated this rider id. Kept apart from the Rider row, with nothing
    personal (no name, no phone), so it survives the rider erasing their data: registering
    again under the same id gives a rider the platform has still deactivated."""

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="+", verbose_name=_("platform")
    )
    platform_rider_id = models.CharField(_("rider id at the platform"), max_length=100)
    deactivated_at = models.DateTimeField(_("deactivated"), default=timezone.now)

    class Meta:
        verbose_name = _("rider deactivated by the platform")
        verbose_name_plural = _("riders deactivated by the platform")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_rider_id"], name="rider_deactivation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.platform_rider_id}"


class RiderDevice(models.Model):
    """A rider's phone browser. The HttpOnly cookie holds a random token; only its SHA-256
    is stored, so a database leak does not hand out working cookies.

    `verified`: bound by the platform's signed assertion (one-click link). A device bound
    by the hand-registration form proves nothing about who holds it: when the platform
    first vouches for the rider, every unverified device is dropped, so whoever typed the
    rider's number first does not keep their pass (docs/security.md)."""

    rider = models.ForeignKey(
        Rider, on_delete=models.CASCADE, related_name="devices", verbose_name=_("rider")
    )
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    verified = models.BooleanField(
        _("bound by the platform"),
        default=False,
        help_text=_("Bound through the platform's one-click link, not the hand-made form."),
    )

    class Meta:
        verbose_name = _("rider device")
        verbose_name_plural = _("rider devices")

    def __str__(self) -> str:
        return f"{self.rider} #{self.pk}"


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    REVOKED = "revoked", _("revoked")


class GrantSource(models.TextChoices):
    PLATFORM = "platform", _("platform assertion")
    MANUAL = "manual", _("registered by hand")


GRANT_DEFAULT_VALIDITY = dt.timedelta(days=365)


class AccessGrant(models.Model):
    """A rider's right to enter one community: what gate controllers hold in their list."""

    Status = GrantStatus
    Source = GrantSource

    rider = models.ForeignKey(
        Rider, on_delete=models.CASCADE, related_name="grants", verbose_name=_("rider")
    )
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="grants",
        verbose_name=_("community"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=GrantSource.choices)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["rider", "community"], name="grant_unique"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="grant_valid_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["community", "status"], name="grant_community_status")]

    def __str__(self) -> str:
        return f"{self.rider_id} @ {self.community_id} ({self.status})"

    def is_valid_at(self, now: dt.datetime) -> bool:
        """Active, and `now` inside [valid_from, valid_until)."""
        if self.status != GrantStatus.ACTIVE:
            return False
        if self.valid_from and now < self.valid_from:
            return False
        return not (self.valid_until and now >= self.valid_until)


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


class UsedAssertion(models.Model):
    """A platform assertion's `jti` once used. Claimed with an INSERT that fails on the
    unique constraint, so two concurrent uses cannot both succeed. Rows past `expires_at`
    may be deleted: the assertion itself is refused as expired by then."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("used assertion")
        verbose_name_plural = _("used assertions")
        constraints = [
            models.UniqueConstraint(fields=["platform", "jti"], name="used_assertion_unique")
        ]
        indexes = [models.Index(fields=["expires_at"], name="used_assertion_expiry")]

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.jti}"


class PassSigningKey(models.Model):
    """The portal's Ed25519 key for passes. The demo keeps the private key in the database
    (see docs/riders-core.md); a production deployment would hold it in a KMS/HSM. Exactly
    one key signs; retired keys stay published for a grace period so passes and controllers
    in flight keep verifying."""

    kid = models.CharField(_("key id (kid)"), max_length=40, unique=True)
    private_pem = models.TextField(_("private key (PEM)"), editable=False)
    public_jwk = models.JSONField(_("public key (JWK)"), editable=False)
    active = models.BooleanField(_("signing"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("pass signing key")
        verbose_name_plural = _("pass signing keys")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_pass_key"
            )
        ]

    def __str__(self) -> str:
        return self.kid


class PosterPrint(models.Model):
    """A poster of a gate was printed (downloaded) with this wording. When what is true at
    the gate changes (rules, gates open to riders, a new code), the latest print's
    fingerprint no longer matches and staff are told to print that gate's poster again."""

    gate = models.ForeignKey(
        "communities.Gate",
        on_delete=models.CASCADE,
        related_name="poster_prints",
        verbose_name=_("gate"),
    )
    # riders.poster_text.PosterText.fingerprint: SHA-256 of the code and the words.
    fingerprint = models.CharField(_("wording fingerprint"), max_length=64)
    printed_at = models.DateTimeField(_("printed"), default=timezone.now, db_index=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("printed by"),
    )

    class Meta:
        verbose_name = _("poster print")
        verbose_name_plural = _("poster prints")
        ordering = ["gate", "-printed_at"]
        indexes = [models.Index(fields=["gate", "-printed_at"], name="poster_print_latest")]

    def __str__(self) -> str:
        return f"{self.gate} @ {self.printed_at:%Y-%m-%d %H:%M}"
