"""The portal's keys that sign riders' passes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
