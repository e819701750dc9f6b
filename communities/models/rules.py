"""A community's delivery rules: versions never edited, the highest one current."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from .abstract import MapMarker
from .company import Community


class EntryPolicy(models.TextChoices):
    OPEN = "open", _("Riders walk or ride in freely")
    REGISTERED = "registered", _("Riders may enter after registering")
    NO_ENTRY = "no_entry", _("No entry: hand off at the agreed point")


class DeliveryRulesQuerySet(models.QuerySet):
    """The one definition of "a community's current rules": its highest version. Every
    reader goes through these (or `current_rules_sql` for hand-written SQL)."""

    def newest_first(self) -> DeliveryRulesQuerySet:
        return self.order_by("-version")

    def current_of(self, community: Community | int) -> DeliveryRules | None:
        return self.filter(community=community).newest_first().first()

    def current_value(self, field: str, community: object = None) -> Subquery:
        """One field of the current rules of the community an outer query names
        (default: its `community_id` column), for `.annotate(...)`."""
        community = OuterRef("community_id") if community is None else community
        return Subquery(self.filter(community=community).newest_first().values(field)[:1])


def current_rules_sql(field: str, community_sql: str) -> str:
    """`current_value` for hand-written SQL: a scalar subquery giving `field` of the
    current rules of the community whose id is the SQL expression `community_sql`."""
    q = connection.ops.quote_name
    table = q(DeliveryRules._meta.db_table)
    column = q(DeliveryRules._meta.get_field(field).column)
    return (
        f"(SELECT {table}.{column} FROM {table} "  # noqa: S608 (names from the model)
        f"WHERE {table}.{q('community_id')} = {community_sql} "
        f"ORDER BY {table}.{q('version')} DESC LIMIT 1)"
    )


class DeliveryRules(MapMarker):
    """One version of a community's delivery rules. Rows are never edited: a change is a
    new version (see `services.rules_publish`); the highest version is the current one.
    The marker is the hand-off point's position on the site map."""

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="rules_versions",
        verbose_name=_("community"),
    )
    version = models.PositiveIntegerField(_("version"))
    entry_policy = models.CharField(_("entry policy"), max_length=16, choices=EntryPolicy.choices)
    handoff_point = models.CharField(
        _("hand-off point"),
        max_length=300,
        blank=True,
        help_text=_("Where riders hand food over when they may not enter. Required for no entry."),
    )
    handoff_point_en = models.CharField(_("hand-off point (English)"), max_length=300, blank=True)
    ebikes_allowed_inside = models.BooleanField(_("e-bikes may ride inside"), default=False)
    speed_limit_kmh = models.PositiveSmallIntegerField(
        _("speed limit inside (km/h)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    rider_hours_start = models.TimeField(_("riders admitted from"), null=True, blank=True)
    rider_hours_end = models.TimeField(_("riders admitted until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    notes_en = models.TextField(_("notes (English)"), blank=True)
    created_at = models.DateTimeField(_("set on"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("set by"),
    )

    objects = DeliveryRulesQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery rules")
        verbose_name_plural = _("delivery rules")
        ordering = ["community", "-version"]
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(fields=["community", "version"], name="rules_version_unique"),
            models.CheckConstraint(
                condition=~Q(entry_policy="no_entry") | ~Q(handoff_point=""),
                name="no_entry_needs_handoff_point",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} v{self.version}"

    def clean(self) -> None:
        super().clean()
        if self.entry_policy == EntryPolicy.NO_ENTRY and not self.handoff_point.strip():
            raise ValidationError(
                {
                    "handoff_point": _(
                        "When riders may not enter, say where they hand the food over."
                    )
                }
            )
        if (self.rider_hours_start is None) != (self.rider_hours_end is None):
            raise ValidationError(_("Give both ends of the riders' hours, or neither for all day."))
        if self.rider_hours_start is not None and self.rider_hours_start == self.rider_hours_end:
            raise ValidationError(
                _("The riders' hours start and end at the same time; leave both empty for all day.")
            )
