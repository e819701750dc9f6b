"""Property companies and their staff: superusers only (staff never see other companies,
and the company list would name them)."""

from __future__ import annotations

from django.contrib import admin

from core.audit import audit_record

from .. import services
from ..models import PropertyCompany, StaffMembership
from .scoping import SuperuserOnlyAdmin


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

    def get_readonly_fields(self, request, obj=None):
        # Moving someone to another company is a removal and a new membership, so the
        # old company's permissions cannot linger.
        return ("user", "company") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if not change:
            services.company_staff_add(company=obj.company, user=obj.user, acting_user=request.user)

    def delete_model(self, request, obj):
        _membership_end(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("company__staff_group", "user"):
            _membership_end(request, membership)
        super().delete_queryset(request, queryset)


def _membership_end(request, membership: StaffMembership) -> None:
    """Leaving a company also leaves its staff group, which holds the object permissions
    on its communities: without this a former employee would keep them."""
    group = membership.company.staff_group
    if group is not None:
        membership.user.groups.remove(group)
    audit_record(
        action="company_staff_remove",
        obj=membership,
        acting_user=request.user,
        after={"user": membership.user.get_username(), "company": membership.company.slug},
    )
