"""A community's admin page: its places as inlines around the clickable site map
(`community_inlines.py`), the delivery rules (history read-only, new versions through
`services.rules_publish`) and the bulk import of buildings and units
(`communities.imports`)."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import imports, services
from ..forms import CommunityForm, ImportForm, RulesPublishForm
from ..models import Community, DeliveryRules, EntryPolicy, PropertyCompany
from ..permissions import CHANGE, VIEW, communities_for_user, community_for_user
from .community_inlines import (
    BuildingInline,
    DeliveryFacilityInline,
    GateInline,
    ParkingZoneInline,
    RestStationInline,
    RulesHistoryInline,
)
from .markers import ALL_KINDS, map_context
from .scoping import CommunityScopedAdmin, CompanyFilter

IMPORT_CACHE_SECONDS = 1800
PREVIEW_ROWS = 500
# Above this many buildings the community's page links to the (paginated, searchable)
# buildings list instead of an inline: 200 rows of inputs make a 0.5 MB page.
BUILDINGS_INLINE_MAX = 50


@admin.register(Community)
class CommunityAdmin(CommunityScopedAdmin):
    form = CommunityForm
    change_form_template = "admin/communities/community_change_form.html"
    list_display = ("name", "slug", "company", "current_policy", "district", "address")
    search_fields = ("name", "slug", "address", "city", "district")
    list_filter = (CompanyFilter,)
    list_select_related = ("company",)
    readonly_fields = ("rules_summary", "buildings_summary")
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
        queryset = queryset.annotate(
            _policy=DeliveryRules.objects.current_value("entry_policy", OuterRef("pk"))
        )
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=communities_for_user(request.user, perm=VIEW).values("pk"))

    @admin.display(description=_("entry policy"))
    def current_policy(self, obj):
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

    @admin.display(description=_("buildings"))
    def buildings_summary(self, obj):
        count = _building_count(obj)
        url = reverse("admin:communities_building_changelist") + f"?community={obj.pk}"
        if count > BUILDINGS_INLINE_MAX:
            text = _(
                "%(count)s buildings: too many to edit here; open the list of this "
                "community's buildings (search, pages, markers on each building's page)."
            ) % {"count": count}
        else:
            text = _("%(count)s buildings (edited below); the list of them") % {"count": count}
        return format_html('<a href="{}">{}</a>', url, text)

    def get_fields(self, request, obj=None):
        fields = list(CommunityForm.Meta.fields)
        if obj is not None:
            fields += ["rules_summary", "buildings_summary"]
        return fields

    def get_inlines(self, request, obj):
        if obj is None:
            return ()
        if _building_count(obj) > BUILDINGS_INLINE_MAX:
            return tuple(i for i in self.inlines if i is not BuildingInline)
        return self.inlines

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "company" and not request.user.is_superuser:
            kwargs["queryset"] = PropertyCompany.objects.filter(memberships__user=request.user)
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The inline rows draw themselves from their inputs; the current hand-off point
        # (and buildings, when too many for an inline) are drawn faintly from the database.
        kinds = {"handoff"}
        if obj is not None and _building_count(obj) > BUILDINGS_INLINE_MAX:
            kinds.add("building")
        context.update(map_context(obj, kinds=frozenset(kinds)))
        return admin.ModelAdmin.render_change_form(
            self, request, context, add, change, form_url, obj
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)  # audited by AdminAuditMixin
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

    def publish_rules_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        community = community_for_user(request.user, pk, perm=CHANGE)
        current = services.rules_current(community)
        initial = {f: getattr(current, f) for f in services.RULES_FIELDS} if current else {}
        form = RulesPublishForm(request.POST or None, initial=initial, community=community)
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
            # The form's own x/y are the hand-off point being placed.
            **map_context(community, kinds=ALL_KINDS - {"handoff"}),
        }
        return render(request, "admin/communities/publish_rules.html", context)

    def import_units_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        community = community_for_user(request.user, pk, perm=CHANGE)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import buildings and units into %(name)s") % {"name": community.name},
            "community": community,
            "opts": self.model._meta,
        }
        if request.method == "POST" and request.POST.get("token"):
            return self._import_apply(request, community, request.POST["token"])
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
                context.update(_preview_context(rows))
                if not context["error_count"]:
                    token = secrets.token_urlsafe(16)
                    cache.set(
                        _import_key(request, community, token),
                        imports.rows_to_json(rows),
                        IMPORT_CACHE_SECONDS,
                    )
                    context["token"] = token
        context["form"] = form
        return render(request, "admin/communities/import_units.html", context)

    def _import_apply(self, request: HttpRequest, community: Community, token: str):
        key = _import_key(request, community, token)
        stored = cache.get(key)
        if stored is None:
            messages.error(request, _("This preview has expired; upload the file again."))
            return HttpResponseRedirect(request.path)
        # Taken once: a double-clicked "Import now" applies the file a single time.
        cache.delete(key)
        rows = imports.rows_from_json(stored)
        try:
            result = imports.units_import(community=community, rows=rows, acting_user=request.user)
        except imports.ImportFileError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.path)
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


def _building_count(community: Community) -> int:
    """Counted once per request (the admin asks for the inlines several times)."""
    if not hasattr(community, "_building_count"):
        community._building_count = community.buildings.count()
    return community._building_count


def _preview_context(rows: list[imports.ImportRow]) -> dict:
    errors = [row for row in rows if row.errors]
    return {
        "rows": rows[:PREVIEW_ROWS],
        "shown": min(len(rows), PREVIEW_ROWS),
        "total": len(rows),
        "error_rows": errors[:PREVIEW_ROWS],
        "error_count": len(errors),
        "counts": {
            action: sum(1 for r in rows if r.action == action)
            for action in ("create", "update", "unchanged")
        },
    }


def _import_key(request: HttpRequest, community: Community, token: str) -> str:
    # Bound to the user and the community, so a token cannot be replayed elsewhere; the
    # token itself is only ever a cache key, never a path.
    return f"units-import:{request.user.pk}:{community.pk}:{token}"


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.message_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
