"""Django admin for property staff, scoped by django-guardian object permissions.

Staff of a property company see and change only their company's communities and what is
inside them; another company's communities are absent from every list, filter and choice
(and their change pages answer as if missing). Superusers see everything. Writes that
have a service (community creation, delivery rules, bulk import) go through it.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record

from . import imports, services
from .models import (
    Building,
    Community,
    DeliveryFacility,
    DeliveryRules,
    Gate,
    GateController,
    ParkingZone,
    PropertyCompany,
    RestStation,
    StaffMembership,
    Unit,
)
from .permissions import CHANGE, VIEW, communities_for_user, user_has_community_perm

IMPORT_CACHE_SECONDS = 1800


def _is_company_staff(request: HttpRequest) -> bool:
    """Superuser, or staff of a property company. Memoised on the request: the admin asks
    once per model and inline on every page."""
    cached = getattr(request, "_last100_company_staff", None)
    if cached is None:
        user = request.user
        cached = bool(user.is_active and user.is_staff) and (
            user.is_superuser or StaffMembership.objects.filter(user=user).exists()
        )
        request._last100_company_staff = cached
    return cached


def _has_perm(request: HttpRequest, community: Community, perm: str) -> bool:
    """`user_has_community_perm`, memoised per request and community (guardian would
    query again for every inline and every row)."""
    memo = request.__dict__.setdefault("_last100_perms", {})
    key = (community.pk, perm)
    if key not in memo:
        memo[key] = user_has_community_perm(request.user, community, perm=perm)
    return memo[key]


def _map_context(community: Community | None) -> dict[str, Any]:
    if community is None or not community.site_map:
        return {}
    return {"map_url": community.site_map.url}


class CommunityScopedAdmin(admin.ModelAdmin):
    """For models with a `community` (or reachable through `community_path`)."""

    community_path = "community"
    change_form_template = "admin/communities/marker_change_form.html"

    def _community_of(self, obj: Any) -> Community:
        value = obj
        for part in self.community_path.split("__"):
            value = getattr(value, part)
        return value

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_company_staff(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        allowed = communities_for_user(request.user, perm=VIEW).values("pk")
        return queryset.filter(**{f"{self.community_path}__in": allowed})

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return _is_company_staff(request)
        return _has_perm(request, self._community_of(obj), VIEW)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return _is_company_staff(request)
        return _has_perm(request, self._community_of(obj), CHANGE)

    has_delete_permission = has_change_permission

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_company_staff(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.remote_field.model is Community:
            kwargs["queryset"] = communities_for_user(request.user, perm=CHANGE)
        elif db_field.remote_field.model in (Building, Gate):
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(
                community__in=communities_for_user(request.user, perm=CHANGE)
            ).select_related("community")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        community = None
        if obj is not None:
            community = self._community_of(obj)
        context.update(_map_context(community))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=f"{obj._meta.model_name}_{'change' if change else 'add'}",
            obj=obj,
            acting_user=request.user,
            community_id=self._community_of(obj).pk,
            after={name: str(form.cleaned_data.get(name)) for name in form.changed_data},
        )


class CompanyFilter(admin.SimpleListFilter):
    """Lists only the companies whose communities the user may see."""

    title = _("property company")
    parameter_name = "company"

    def lookups(self, request, model_admin):
        visible = communities_for_user(request.user, perm=VIEW)
        companies = PropertyCompany.objects.filter(communities__in=visible).distinct()
        return [(c.pk, c.name) for c in companies]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(company_id=self.value())
        return queryset


class ScopedInlineMixin:
    """Inline permissions follow the parent's community (staff hold no global model
    permissions, only object permissions on their communities)."""

    def _parent_community(self, obj):
        if obj is None:
            return None
        return obj if isinstance(obj, Community) else obj.community

    def has_view_permission(self, request, obj=None):
        community = self._parent_community(obj)
        if community is None:
            return _is_company_staff(request)
        return _has_perm(request, community, VIEW)

    def has_change_permission(self, request, obj=None):
        community = self._parent_community(obj)
        if community is None:
            return _is_company_staff(request)
        return _has_perm(request, community, CHANGE)

    has_add_permission = has_delete_permission = has_change_permission


class MarkerInlineMixin(ScopedInlineMixin):
    """Inline rows get a 'place on map' button for the shared map above the inlines."""

    def place_on_map(self, obj):
        return format_html(
            '<button type="button" class="marker-place button" aria-pressed="false">{}</button>',
            _("Place on map"),
        )

    place_on_map.short_description = _("map")


class GateInline(MarkerInlineMixin, admin.TabularInline):
    model = Gate
    extra = 0
    fields = ("name", "open_to_riders", "opens_at", "closes_at", "x_pct", "y_pct", "place_on_map")
    readonly_fields = ("place_on_map",)


class ParkingZoneInline(MarkerInlineMixin, admin.TabularInline):
    model = ParkingZone
    extra = 0
    fields = ("name", "capacity", "has_charging", "x_pct", "y_pct", "place_on_map")
    readonly_fields = ("place_on_map",)


class RestStationInline(MarkerInlineMixin, admin.TabularInline):
    model = RestStation
    extra = 0
    fields = (
        "name",
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

    def units_link(self, obj):
        if not obj.pk:
            return "-"
        url = reverse("admin:communities_building_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("units"))

    units_link.short_description = _("units")


class RulesHistoryInline(ScopedInlineMixin, admin.TabularInline):
    """Published versions, newest first; read-only (a change is a new version)."""

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


class CommunityForm(forms.ModelForm):
    class Meta:
        model = Community
        fields = (
            "company",
            "slug",
            "name",
            "address",
            "office_phone",
            "office_location",
            "site_map",
            "auto_approve_verified_riders",
        )

    def clean_site_map(self):
        image = self.cleaned_data.get("site_map")
        if image and hasattr(image, "size") and image.size > 5 * 1024 * 1024:
            raise ValidationError(_("The site map is larger than 5 MB; use a smaller image."))
        return image


@admin.register(Community)
class CommunityAdmin(CommunityScopedAdmin):
    form = CommunityForm
    change_form_template = "admin/communities/community_change_form.html"
    list_display = ("name", "slug", "company", "current_policy", "address")
    search_fields = ("name", "slug", "address")
    list_filter = (CompanyFilter,)
    list_select_related = ("company",)
    readonly_fields = ("rules_summary",)
    inlines = (
        GateInline,
        ParkingZoneInline,
        RestStationInline,
        DeliveryFacilityInline,
        BuildingInline,
        RulesHistoryInline,
    )

    def _community_of(self, obj):
        return obj

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request).select_related("company")
        current = DeliveryRules.objects.filter(community=OuterRef("pk")).order_by("-version")
        queryset = queryset.annotate(_policy=Subquery(current.values("entry_policy")[:1]))
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=communities_for_user(request.user, perm=VIEW).values("pk"))

    @admin.display(description=_("entry policy"))
    def current_policy(self, obj):
        from .models import EntryPolicy

        return EntryPolicy(obj._policy).label if getattr(obj, "_policy", None) else "-"

    @admin.display(description=_("delivery rules"))
    def rules_summary(self, obj):
        if not obj or not obj.pk:
            return _("The first rules version is created with the community.")
        rules = services.rules_current(obj)
        publish = reverse("admin:communities_community_publish_rules", args=[obj.pk])
        units = reverse("admin:communities_community_import_units", args=[obj.pk])
        return format_html(
            '{} (v{}) · <a href="{}">{}</a> · <a href="{}">{}</a>',
            rules.get_entry_policy_display() if rules else "-",
            rules.version if rules else 0,
            publish,
            _("Publish new rules"),
            units,
            _("Import buildings and units (CSV/XLSX)"),
        )

    def get_fields(self, request, obj=None):
        fields = list(CommunityForm.Meta.fields)
        if obj is not None:
            fields.append("rules_summary")
        return fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "company" and not request.user.is_superuser:
            kwargs["queryset"] = PropertyCompany.objects.filter(memberships__user=request.user)
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(_map_context(obj))
        return admin.ModelAdmin.render_change_form(
            self, request, context, add, change, form_url, obj
        )

    def save_model(self, request, obj, form, change):
        if change:
            admin.ModelAdmin.save_model(self, request, obj, form, change)
            audit_record(
                action="community_change",
                obj=obj,
                acting_user=request.user,
                community_id=obj.pk,
                after={name: str(form.cleaned_data.get(name)) for name in form.changed_data},
            )
            return
        data = dict(form.cleaned_data)
        created = services.community_create(
            company=data.pop("company"),
            slug=data.pop("slug"),
            name=data.pop("name"),
            acting_user=request.user,
            **{k: v for k, v in data.items() if v not in (None, "")},
        )
        obj.pk = created.pk
        obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})

    # --- extra views: publish rules, import units -----------------------------------

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/publish-rules/",
                self.admin_site.admin_view(self.publish_rules_view),
                name="communities_community_publish_rules",
            ),
            path(
                "<int:pk>/import-units/",
                self.admin_site.admin_view(self.import_units_view),
                name="communities_community_import_units",
            ),
        ]
        return extra + super().get_urls()

    def _community_for_change(self, request, pk: int) -> Community:
        community = Community.objects.filter(pk=pk).first()
        if community is None or not user_has_community_perm(request.user, community, perm=CHANGE):
            raise Http404("No such community")
        return community

    def publish_rules_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        community = self._community_for_change(request, pk)
        current = services.rules_current(community)
        initial = {f: getattr(current, f) for f in services.RULES_FIELDS} if current else {}
        form = RulesPublishForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                rules = services.rules_publish(
                    community=community, acting_user=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Rules version %(version)s is now in force.") % {"version": rules.version},
                )
                return HttpResponseRedirect(
                    reverse("admin:communities_community_change", args=[community.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish new delivery rules for %(name)s") % {"name": community.name},
            "community": community,
            "current": current,
            "form": form,
            "opts": self.model._meta,
            **_map_context(community),
        }
        return render(request, "admin/communities/publish_rules.html", context)

    def import_units_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        community = self._community_for_change(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import buildings and units into %(name)s") % {"name": community.name},
            "community": community,
            "opts": self.model._meta,
        }
        if request.method == "POST" and request.POST.get("token"):
            token = request.POST["token"]
            stored = cache.get(_import_key(request, community, token))
            if stored is None:
                messages.error(request, _("This preview has expired; upload the file again."))
                return HttpResponseRedirect(request.path)
            rows = imports.rows_from_json(stored)
            result = imports.units_import(community=community, rows=rows, acting_user=request.user)
            cache.delete(_import_key(request, community, token))
            messages.success(
                request,
                _(
                    "Imported: %(b)s buildings and %(c)s units created, %(u)s units updated, "
                    "%(n)s unchanged."
                )
                % {
                    "b": result.buildings_created,
                    "c": result.units_created,
                    "u": result.units_updated,
                    "n": result.unchanged,
                },
            )
            return HttpResponseRedirect(
                reverse("admin:communities_community_change", args=[community.pk])
            )
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = imports.units_parse(
                    community=community, name=upload.name, data=upload.read(imports.MAX_BYTES + 1)
                )
            except imports.ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                errors = [row for row in rows if row.errors]
                context.update(
                    rows=rows[:500],
                    shown=min(len(rows), 500),
                    total=len(rows),
                    error_rows=errors[:500],
                    error_count=len(errors),
                    counts={
                        action: sum(1 for r in rows if r.action == action)
                        for action in ("create", "update", "unchanged")
                    },
                )
                if not errors:
                    token = secrets.token_urlsafe(16)
                    cache.set(
                        _import_key(request, community, token),
                        imports.rows_to_json(rows),
                        IMPORT_CACHE_SECONDS,
                    )
                    context["token"] = token
        context["form"] = form
        return render(request, "admin/communities/import_units.html", context)


def _import_key(request: HttpRequest, community: Community, token: str) -> str:
    # Bound to the user and the community, so a token cannot be replayed elsewhere.
    return f"units-import:{request.user.pk}:{community.pk}:{token}"


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.message_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class RulesPublishForm(forms.ModelForm):
    class Meta:
        model = DeliveryRules
        fields = services.RULES_FIELDS
        widgets = {
            "rider_hours_start": forms.TimeInput(attrs={"type": "time"}),
            "rider_hours_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def _post_clean(self):
        # The service validates the whole version (and the database constraint); here
        # only the field-level checks run, so errors are not reported twice.
        pass


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "Columns: building, entrance, house_number, exclusive_area (m²); optional "
            "building_name, x_pct, y_pct. Chinese headers 楼栋, 单元, 房号, 面积 work too. "
            "At most 5 MB."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise ValidationError(_("The file is larger than 5 MB; split it into several files."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


class UnitInline(ScopedInlineMixin, admin.TabularInline):
    model = Unit
    extra = 0
    fields = ("entrance", "number", "exclusive_area")


@admin.register(Building)
class BuildingAdmin(CommunityScopedAdmin):
    list_display = ("__str__", "number", "community")
    search_fields = ("number", "name", "community__name")
    list_select_related = ("community",)
    inlines = (UnitInline,)

    def get_list_filter(self, request):
        return (CommunityListFilter,)


class CommunityListFilter(admin.SimpleListFilter):
    """The community filter, limited to what the user may see."""

    title = _("community")
    parameter_name = "community"

    def lookups(self, request, model_admin):
        return [(c.pk, c.name) for c in communities_for_user(request.user, perm=VIEW)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(community_id=self.value())
        return queryset


class GateControllerInline(ScopedInlineMixin, admin.TabularInline):
    model = GateController
    extra = 0
    fields = ("name", "driver", "endpoint", "username", "secret", "enabled")
    formfield_overrides = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "secret":
            kwargs["widget"] = forms.PasswordInput(render_value=True)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Gate)
class GateAdmin(CommunityScopedAdmin):
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
    list_display = ("name", "community", "capacity", "has_charging")
    search_fields = ("name", "community__name")
    list_select_related = ("community",)

    def get_list_filter(self, request):
        return (CommunityListFilter, "has_charging")


@admin.register(RestStation)
class RestStationAdmin(CommunityScopedAdmin):
    list_display = ("name", "community", "has_water", "has_charging", "has_toilet")
    search_fields = ("name", "community__name")
    list_select_related = ("community",)

    def get_list_filter(self, request):
        return (CommunityListFilter,)


@admin.register(DeliveryFacility)
class DeliveryFacilityAdmin(CommunityScopedAdmin):
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
    search_fields = ("community__name",)

    def get_list_filter(self, request):
        return (CommunityListFilter, "entry_policy")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "slug", "phone")
    search_fields = ("name", "slug")
    exclude = ("staff_group",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.company_staff_group(obj)


@admin.register(StaffMembership)
class StaffMembershipAdmin(SuperuserOnlyAdmin):
    list_display = ("user", "company")
    list_select_related = ("user", "company")
    search_fields = ("user__username", "company__name")

    def save_model(self, request, obj, form, change):
        services.company_staff_add(company=obj.company, user=obj.user, acting_user=request.user)
