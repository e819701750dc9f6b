"""Admins for the places inside a community, each scoped through the community's
permissions: buildings (with their units), gates (with their controllers), rider parking
zones, rest stations, delivery facilities, and the delivery rules' history (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..forms import MarkerModelForm, UnitForm
from ..models import (
    Building,
    DeliveryFacility,
    DeliveryRules,
    Gate,
    GateController,
    ParkingZone,
    RestStation,
    Unit,
)
from .scoping import CommunityListFilter, CommunityScopedAdmin, ScopedInlineMixin


class UnitInline(ScopedInlineMixin, admin.TabularInline):
    model = Unit
    form = UnitForm
    extra = 0
    fields = ("entrance", "number", "exclusive_area")

    def get_queryset(self, request):
        # Each row is titled with the unit's label, which names its building.
        return super().get_queryset(request).select_related("building")


@admin.register(Building)
class BuildingAdmin(CommunityScopedAdmin):
    form = MarkerModelForm
    list_display = ("__str__", "number", "community", "unit_count")
    search_fields = ("number", "name", "community__name")
    list_select_related = ("community",)
    inlines = (UnitInline,)

    def get_list_filter(self, request):
        return (CommunityListFilter,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_units=Count("units"))

    @admin.display(description=_("units"), ordering="_units")
    def unit_count(self, obj: Building) -> int:
        return obj._units


class GateControllerInline(ScopedInlineMixin, admin.TabularInline):
    model = GateController
    extra = 0
    fields = ("name", "driver", "endpoint", "username", "secret", "enabled")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("gate")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "secret":
            # Shown as dots; kept when the row is saved unchanged.
            kwargs["widget"] = forms.PasswordInput(render_value=True)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Gate)
class GateAdmin(CommunityScopedAdmin):
    form = MarkerModelForm
    list_display = ("name", "community", "open_to_riders", "opens_at", "closes_at")
    search_fields = ("name", "community__name")
    list_select_related = ("community",)
    inlines = (GateControllerInline,)
    actions = ("download_posters",)

    def get_list_filter(self, request):
        return (CommunityListFilter, "open_to_riders")

    @admin.action(description=_("Download entry-code posters (A4 PNG, zip)"))
    def download_posters(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        # The zip view (riders.staff_views) checks the manage_riders permission per gate.
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('riders:gate_posters_zip')}?ids={ids}&size=a4")


@admin.register(ParkingZone)
class ParkingZoneAdmin(CommunityScopedAdmin):
    form = MarkerModelForm
    list_display = ("name", "community", "capacity", "has_charging")
    search_fields = ("name", "community__name")
    list_select_related = ("community",)

    def get_list_filter(self, request):
        return (CommunityListFilter, "has_charging")


@admin.register(RestStation)
class RestStationAdmin(CommunityScopedAdmin):
    form = MarkerModelForm
    list_display = ("name", "community", "has_water", "has_charging", "has_toilet")
    search_fields = ("name", "community__name")
    list_select_related = ("community",)

    def get_list_filter(self, request):
        return (CommunityListFilter, "has_water", "has_charging", "has_toilet")


@admin.register(DeliveryFacility)
class DeliveryFacilityAdmin(CommunityScopedAdmin):
    form = MarkerModelForm
    list_display = ("name", "kind", "status", "community", "capacity")
    search_fields = ("name", "community__name")
    list_select_related = ("community",)

    def get_list_filter(self, request):
        return (CommunityListFilter, "kind", "status")


@admin.register(DeliveryRules)
class DeliveryRulesAdmin(CommunityScopedAdmin):
    """History only: rules are published from the community's page, never edited."""

    list_display = ("community", "version", "entry_policy", "created_at", "created_by")
    list_select_related = ("community", "created_by")
    search_fields = ("community__name", "handoff_point")

    def get_list_filter(self, request):
        return (CommunityListFilter, "entry_policy")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
