"""The delivery platforms that vouch for their riders, the keys that verify their signed
assertions, and the assertions once used."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..services.jwk import public_key_from_jwk

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
