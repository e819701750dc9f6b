"""The inlines of a community's admin page: its places (each row with a "Place on map"
button for the shared site map beside them) and the read-only history of its delivery
rules."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..forms import MarkerModelForm
from ..models import Building, DeliveryFacility, DeliveryRules, Gate, ParkingZone, RestStation
from .scoping import ScopedInlineMixin


class MarkerInlineMixin(ScopedInlineMixin):
    """Inline rows get a 'place on map' button for the shared map beside the inlines."""

    form = MarkerModelForm
    template = "admin/communities/tabular.html"

    @admin.display(description=_("map"))
    def place_on_map(self, obj):
        return format_html(
            '<button type="button" class="marker-place button" aria-pressed="false">{}</button>',
            _("Place on map"),
        )


class GateInline(MarkerInlineMixin, admin.TabularInline):
    model = Gate
    extra = 0
    fields = (
        "name",
        "name_en",
        "open_to_riders",
        "opens_at",
        "closes_at",
        "x_pct",
        "y_pct",
        "place_on_map",
    )
    readonly_fields = ("place_on_map",)


class ParkingZoneInline(MarkerInlineMixin, admin.TabularInline):
    model = ParkingZone
    extra = 0
    fields = ("name", "name_en", "capacity", "has_charging", "x_pct", "y_pct", "place_on_map")
    readonly_fields = ("place_on_map",)


class RestStationInline(MarkerInlineMixin, admin.TabularInline):
    model = RestStation
    extra = 0
    fields = (
        "name",
        "name_en",
        "has_water",
        "has_charging",
        "has_toilet",
        "has_microwave",
        "has_shade",
        "opens_at",
        "closes_at",
        "x_pct",
        "y_pct",
        "place_on_map",
    )
    readonly_fields = ("place_on_map",)


class DeliveryFacilityInline(MarkerInlineMixin, admin.TabularInline):
    model = DeliveryFacility
    extra = 0
    fields = (
        "kind",
        "name",
        "name_en",
        "status",
        "capacity",
        "opens_at",
        "closes_at",
        "x_pct",
        "y_pct",
        "place_on_map",
    )
    readonly_fields = ("place_on_map",)


class BuildingInline(MarkerInlineMixin, admin.TabularInline):
    """Compact: a community may have hundreds of buildings; units are edited on the
    building's own page."""

    model = Building
    extra = 0
    fields = ("number", "name", "x_pct", "y_pct", "place_on_map", "units_link")
    readonly_fields = ("place_on_map", "units_link")
    show_change_link = True

    @admin.display(description=_("units"))
    def units_link(self, obj):
        if not obj.pk:
            return "-"
        url = reverse("admin:communities_building_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("units"))


class RulesHistoryInline(ScopedInlineMixin, admin.TabularInline):
    """Published versions, newest first; read-only (a change is a new version)."""

    template = "admin/communities/tabular.html"

    model = DeliveryRules
    extra = 0
    can_delete = False
    fields = ("version", "entry_policy", "handoff_point", "created_at", "created_by")
    readonly_fields = fields
    ordering = ("-version",)
    verbose_name_plural = _("delivery rules (history, newest first)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")
