"""Property companies, their communities and everything a rider meets inside one.

Positions on a community's site map are percentages of the image (0–100, origin top-left),
so a marker stays put when the image is shown at any size.
"""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from .netguard import EndpointRefused, endpoint_check


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


PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


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


class MapMarker(models.Model):
    """A point on the community's site map, in percent of the image's width and height."""

    x_pct = models.DecimalField(
        _("x on the map (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
    )
    y_pct = models.DecimalField(
        _("y on the map (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
    )

    class Meta:
        abstract = True

    @property
    def has_marker(self) -> bool:
        return self.x_pct is not None and self.y_pct is not None

    def clean_marker(self) -> None:
        if (self.x_pct is None) != (self.y_pct is None):
            raise ValidationError(
                _("Set both coordinates of the marker, or neither: click the site map.")
            )
        for field in ("x_pct", "y_pct"):
            value = getattr(self, field)
            if value is not None and not (Decimal("0") <= value <= Decimal("100")):
                raise ValidationError(
                    {field: _("The marker must lie on the site map (0 to 100 %).")}
                )

    def clean(self) -> None:
        super().clean()
        self.clean_marker()


def time_in_window(start, end, moment) -> bool:
    """Whether the time of day `moment` lies in [start, end). No window (either end None)
    means all day; `end` before `start` means the window runs past midnight."""
    if start is None or end is None:
        return True
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


class OpeningHours(models.Model):
    """Daily hours; both empty means open around the clock. Closing before opening is
    allowed and means the hours run past midnight (22:00–06:00)."""

    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_all_day(self) -> bool:
        return self.opens_at is None and self.closes_at is None

    def is_open_at(self, moment) -> bool:
        """Whether the hours include the time of day `moment` (a `datetime.time`)."""
        return time_in_window(self.opens_at, self.closes_at, moment)

    def clean_hours(self) -> None:
        if (self.opens_at is None) != (self.closes_at is None):
            raise ValidationError(
                _("Give both the opening and the closing time, or neither for all day.")
            )
        if self.opens_at is not None and self.opens_at == self.closes_at:
            raise ValidationError(
                _("Opening and closing times are the same; leave both empty for all day.")
            )


class Building(MapMarker):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("community")
    )
    number = models.CharField(
        _("building number"), max_length=20, help_text=_("As on the sign, e.g. 7 or 7A.")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["community", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "number"], name="building_number_unique_in_community"
            )
        ]

    def __str__(self) -> str:
        return self.name or str(_("Building %(number)s") % {"number": self.number})


class Unit(models.Model):
    """A home: building, entrance (单元, may be empty) and house number."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="units", verbose_name=_("building")
    )
    entrance = models.CharField(
        _("entrance (单元)"), max_length=20, blank=True, help_text=_("Leave empty if none.")
    )
    number = models.CharField(_("house number"), max_length=20)
    exclusive_area = models.DecimalField(
        _("exclusive area (m²)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "entrance", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "entrance", "number"], name="house_number_unique_in_building"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """`7-2-1503` style label; needs the building (select_related it in lists)."""
        parts = [self.building.number, self.entrance, self.number]
        return "-".join(p for p in parts if p)


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
    """A device at a gate that holds the access list. Syncing is done by riders.gatesync."""

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
    # only until riders.api.auth.V1_SUNSET. Controllers added before v2 were set to 1.
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


class ParkingZone(MapMarker):
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="parking_zones",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("capacity (e-bikes)"), default=0)
    has_charging = models.BooleanField(_("e-bike charging"), default=False)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("rider parking zone")
        verbose_name_plural = _("rider parking zones")
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name


class RestStation(MapMarker, OpeningHours):
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="rest_stations",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=100)
    has_water = models.BooleanField(_("drinking water"), default=False)
    has_charging = models.BooleanField(_("phone charging"), default=False)
    has_toilet = models.BooleanField(_("toilet"), default=False)
    has_microwave = models.BooleanField(_("microwave"), default=False)
    has_shade = models.BooleanField(_("shade / air conditioning"), default=False)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("rest station")
        verbose_name_plural = _("rest stations")
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.clean_hours()


class DeliveryFacility(MapMarker, OpeningHours):
    class Kind(models.TextChoices):
        FOOD_CABINET = "food_cabinet", _("food cabinet")
        PARCEL_LOCKER = "parcel_locker", _("parcel locker")
        ROBOT_PICKUP = "robot_pickup", _("delivery robot pick-up point")

    class Status(models.TextChoices):
        ACTIVE = "active", _("in service")
        PLANNED = "planned", _("planned")
        OUT_OF_SERVICE = "out_of_service", _("out of service")

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="facilities",
        verbose_name=_("community"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("capacity (compartments)"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery facility")
        verbose_name_plural = _("delivery facilities")
        ordering = ["community", "kind", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.clean_hours()


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
    from django.db import connection

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
