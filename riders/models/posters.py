"""Gate posters printed, with the wording they carried."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
