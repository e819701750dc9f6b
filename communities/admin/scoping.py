"""Who sees what in the admin: every class here answers from the community's guardian
object permissions, so staff of one property company never see another's rows, names or
choices. Staff hold no global model permissions; superusers see everything."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.adminmixins import IdsNotProbedMixin

from ..models import Building, Community, Gate, PropertyCompany
from ..permissions import (
    CHANGE,
    VIEW,
    communities_for_user,
    request_has_community_perm,
    request_is_company_staff,
)
from .audit import AdminAuditMixin
from .markers import map_context


class CompanyFilter(admin.SimpleListFilter):
    """Lists only the companies whose communities the user may see."""

    title = _("property company")
    parameter_name = "company"

    def lookups(self, request, model_admin):
        visible = communities_for_user(request.user, perm=VIEW)
        companies = PropertyCompany.objects.filter(communities__in=visible).distinct()
        return [(c.pk, c.name) for c in companies]

    def queryset(self, request, queryset):
        return choice_filter(self, queryset, "company_id")


class CommunityListFilter(admin.SimpleListFilter):
    """The community filter, limited to what the user may see."""

    title = _("community")
    parameter_name = "community"

    def lookups(self, request, model_admin):
        return [(c.pk, c.name) for c in communities_for_user(request.user, perm=VIEW)]

    def queryset(self, request, queryset):
        return choice_filter(self, queryset, "community_id")


def choice_filter(list_filter: admin.SimpleListFilter, queryset: QuerySet, field: str) -> QuerySet:
    """Filter by the chosen value only if it is one of the filter's own choices (the ids the
    user may see). Anything else typed into the URL (``abc``, ``1'``, another company's id)
    lists nothing: before, a value that is not a number reached the database as an id and
    answered 500."""
    value = list_filter.value()
    if not value:
        return queryset
    if value not in {str(key) for key, _label in list_filter.lookup_choices}:
        return queryset.none()
    return queryset.filter(**{field: int(value)})


class CommunityScopedAdmin(AdminAuditMixin, admin.ModelAdmin):
    """For models with a `community` (or reachable through `community_path`)."""

    community_path = "community"
    change_form_template = "admin/communities/marker_change_form.html"

    def _community_of(self, obj: Any) -> Community:
        value = obj
        for part in self.community_path.split("__"):
            value = getattr(value, part)
        return value

    def _community_id_of(self, obj: Any) -> int | None:
        return self._community_of(obj).pk

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request_is_company_staff(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        allowed = communities_for_user(request.user, perm=VIEW).values("pk")
        return queryset.filter(**{f"{self.community_path}__in": allowed})

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return request_is_company_staff(request)
        return request_has_community_perm(request, self._community_of(obj), perm=VIEW)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return request_is_company_staff(request)
        return request_has_community_perm(request, self._community_of(obj), perm=CHANGE)

    has_delete_permission = has_change_permission

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request_is_company_staff(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.remote_field.model is Community:
            kwargs["queryset"] = communities_for_user(request.user, perm=CHANGE)
        elif db_field.remote_field.model in (Building, Gate):
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(
                community__in=communities_for_user(request.user, perm=CHANGE)
            ).select_related("community")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _community_for_add(self, request: HttpRequest) -> Community | None:
        """On an add page opened as `?community=<id>` (the admin's own way to prefill a
        field), the site map of that community, if the user may change it."""
        raw = request.GET.get("community", "")
        if self.community_path != "community" or not raw.isdigit():
            return None
        return communities_for_user(request.user, perm=CHANGE).filter(pk=int(raw)).first()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(map_context(self._community_of(obj), exclude=obj))
        else:
            context.update(map_context(self._community_for_add(request)))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def audit_queryset(self, queryset: QuerySet) -> QuerySet:
        """A bulk delete reads each row's community once, with the rows."""
        if queryset.model is Community:
            return queryset
        return queryset.select_related(self.community_path)


def _label_row(form, row: str) -> None:
    """A tabular inline shows its labels once, in the header row: name every visible
    input of the row for assistive technology ("Name · North Gate")."""
    for name, field in form.fields.items():
        if field.widget.is_hidden:
            continue
        label = field.label or name
        field.widget.attrs["aria-label"] = f"{label} · {row}"


class LabelledRowsFormSetMixin:
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        instance = getattr(form, "instance", None)
        if instance is not None and instance.pk:
            row = str(instance)
        else:
            row = _("new row %(n)d") % {"n": i + 1}
        _label_row(form, row)
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        _label_row(form, _("new row"))
        return form


class ScopedInlineMixin:
    """Inline permissions follow the parent's community (staff hold no global model
    permissions, only object permissions on their communities). Every input of a row
    is labelled (LabelledRowsFormSetMixin)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (LabelledRowsFormSetMixin, formset), {})

    def _parent_community(self, obj):
        if obj is None:
            return None
        return obj if isinstance(obj, Community) else obj.community

    def has_view_permission(self, request, obj=None):
        community = self._parent_community(obj)
        if community is None:
            return request_is_company_staff(request)
        return request_has_community_perm(request, community, perm=VIEW)

    def has_change_permission(self, request, obj=None):
        community = self._parent_community(obj)
        if community is None:
            return request_is_company_staff(request)
        return request_has_community_perm(request, community, perm=CHANGE)

    has_add_permission = has_delete_permission = has_change_permission


class SuperuserOnlyAdmin(IdsNotProbedMixin, admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission
