"""Property companies, their staff and their communities."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteMapField(models.ImageField):
    """An image field whose missing file is not a 500: Django reads a picture's size when a
    row without stored dimensions loads, and a file lost from media (a restore without
    files, a moved MEDIA_ROOT) raised on every page naming the community. The map is
    then shown as absent; staff upload it again."""

    def update_dimension_fields(self, instance, force=False, *args, **kwargs):
        try:
            super().update_dimension_fields(instance, force, *args, **kwargs)
        except OSError:
            logging.getLogger("last100.media").warning(
                "site map file missing: %s", getattr(instance, self.attname, "")
            )


class PropertyCompany(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    staff_group = models.OneToOneField(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="property_company",
        verbose_name=_("staff group"),
        help_text=_("Every member holds the company's object permissions on its communities."),
    )

    class Meta:
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffMembership(models.Model):
    """A user who works for a property company (one company per person)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_membership",
        verbose_name=_("user"),
    )
    company = models.ForeignKey(
        PropertyCompany,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("property company"),
    )

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class Community(models.Model):
    company = models.ForeignKey(
        PropertyCompany,
        on_delete=models.PROTECT,
        related_name="communities",
        verbose_name=_("property company"),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # The street office's list and the platforms' ranking filter on these exactly.
    city = models.CharField(_("city"), max_length=40, blank=True, db_index=True)
    district = models.CharField(_("district"), max_length=40, blank=True, db_index=True)
    office_phone = models.CharField(_("property office phone"), max_length=40, blank=True)
    office_location = models.CharField(_("property office location"), max_length=200, blank=True)
    site_map = SiteMapField(
        _("site map"),
        upload_to="site-maps/",
        width_field="site_map_width",
        height_field="site_map_height",
        blank=True,
    )
    site_map_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    site_map_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    auto_approve_verified_riders = models.BooleanField(
        _("approve platform-verified riders at once"),
        default=True,
        help_text=_("Riders vouched for by their platform get an active pass without waiting."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Bumped by any change to the community or anything inside it; part of cache keys.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        permissions = [
            ("guard_community", _("Can run the guard console at the community's gates")),
            ("manage_riders", _("Can approve, suspend and revoke riders' access")),
        ]
        indexes = [models.Index(fields=["company", "name"])]

    def __str__(self) -> str:
        return self.name
