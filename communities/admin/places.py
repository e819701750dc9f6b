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


class GateControllerInlineForm(forms.ModelForm):
    """A controller's secret is never rendered back into the page (its source would hold
    it): left empty, an existing row keeps its secret; a new row needs one typed (or is
    added from Gate controllers → Add, which generates one and shows it once)."""

    def clean_secret(self) -> str:
        value = self.cleaned_data.get("secret") or ""
        if value:
            return value
        if self.instance.pk:
            return GateController.objects.values_list("secret", flat=True).get(pk=self.instance.pk)
        raise forms.ValidationError(
            _("Type the controller's secret, or add it from Gate controllers, which makes one.")
        )

    def has_changed(self) -> bool:
        # The empty secret box of an unchanged row is not a change.
        return any(
            name != "secret" or self.data.get(self.add_prefix(name)) for name in self.changed_data
        )


class GateControllerInline(ScopedInlineMixin, admin.TabularInline):
    model = GateController
    form = GateControllerInlineForm
    extra = 0
    fields = ("name", "driver", "endpoint", "username", "secret", "enabled")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("gate")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "secret":
            kwargs["widget"] = forms.PasswordInput(render_value=False)
            kwargs["required"] = False
            kwargs["help_text"] = _("Leave empty to keep the secret.")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Gate)
class GateAdmin(CommunityScopedAdmin):
    form = MarkerModelForm
    list_display = ("name", "community", "open_to_riders", "opens_at", "closes_at")
    search_fields = ("name", "name_en", "community__name")
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
    search_fields = ("name", "name_en", "community__name")
    list_select_related = ("community",)

    def get_list_filter(self, request):
        return (CommunityListFilter, "has_charging")


@admin.register(RestStation)
class RestStationAdmin(CommunityScopedAdmin):
    form = MarkerModelForm
    list_display = ("name", "community", "has_water", "has_charging", "has_toilet")
    search_fields = ("name", "name_en", "community__name")
    list_select_related = ("community",)

    def get_list_filter(self, request):
        return (CommunityListFilter, "has_water", "has_charging", "has_toilet")


@admin.register(DeliveryFacility)
class DeliveryFacilityAdmin(CommunityScopedAdmin):
    form = MarkerModelForm
    list_display = ("name", "kind", "status", "community", "capacity")
    search_fields = ("name", "name_en", "community__name")
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
