"""Admin for riders: platforms and keys (superusers), riders, grants and events scoped to
the staff member's communities. Grant changes go through riders.services.grants."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from communities.admin import AdminAuditMixin, CommunityListFilter, SuperuserOnlyAdmin
from communities.permissions import (
    MANAGE_RIDERS,
    VIEW,
    communities_for_user,
    request_has_community_perm,
    request_is_company_staff,
)

from .models import AccessEvent, AccessGrant, PassSigningKey, Platform, PlatformKey, Rider
from .privacy import can_view_personal_data, personal_data_view_record
from .services import grants
from .services.keys import pass_key_rotate
from .services.platforms import platform_access_sync


class PlatformKeyInline(admin.TabularInline):
    model = PlatformKey
    extra = 0
    fields = ("kid", "alg", "public_jwk", "active", "retired_at")

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


@admin.register(Platform)
class PlatformAdmin(AdminAuditMixin, SuperuserOnlyAdmin):
    list_display = ("name", "code", "active")
    search_fields = ("name", "code")
    inlines = (PlatformKeyInline,)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "active" in form.changed_data:
            # Its riders' grants leave (or rejoin) the controllers' lists with it.
            platform_access_sync(platform=obj, acting_user=request.user)


@admin.register(PassSigningKey)
class PassSigningKeyAdmin(SuperuserOnlyAdmin):
    list_display = ("kid", "active", "created_at", "retired_at")
    fields = ("kid", "public_jwk", "active", "created_at", "retired_at")
    readonly_fields = fields
    actions = ("rotate",)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Rotate: sign passes with a new key from now on"))
    def rotate(self, request, queryset):
        key = pass_key_rotate(acting_user=request.user)
        self.message_user(request, _("Passes are now signed with key %(kid)s.") % {"kid": key.kid})


class ScopedToCommunities(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request_is_company_staff(request)

    def _visible(self, request):
        return communities_for_user(request.user, perm=VIEW)


@admin.register(Rider)
class RiderAdmin(AdminAuditMixin, ScopedToCommunities):
    """Staff see riders who hold (or asked for) access to one of their communities."""

    list_display = (
        "name",
        "platform",
        "platform_rider_id",
        "phone_masked",
        "station",
        "vehicle_plate",
        "platform_active",
    )
    search_fields = ("name", "platform_rider_id", "vehicle_plate")
    list_select_related = ("platform",)
    list_filter = ("platform", "platform_active")
    readonly_fields = (
        "platform",
        "platform_rider_id",
        "phone_masked",
        "verified_by_platform",
        "platform_active",
        "created_at",
    )
    fields = (
        "name",
        "platform",
        "platform_rider_id",
        "phone_masked",
        "photo",
        "station",
        "vehicle_plate",
        "verified_by_platform",
        "platform_active",
        "created_at",
    )

    @admin.display(description=_("phone"))
    def phone_masked(self, obj):
        return obj.phone_masked

    def _reveals_phone(self, request, obj) -> bool:
        # Lists stay masked for everyone; one rider's page shows the number to holders.
        return obj is not None and can_view_personal_data(request.user)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self._reveals_phone(request, obj):
            return tuple("phone" if f == "phone_masked" else f for f in fields)
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if self._reveals_phone(request, obj):
            return tuple("phone" if f == "phone_masked" else f for f in fields)
        return fields

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if self._reveals_phone(request, obj) and obj.phone:
            personal_data_view_record(rider=obj, acting_user=request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(grants__community__in=self._visible(request)).distinct()

    def has_view_permission(self, request, obj=None):
        return request_is_company_staff(request)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return request_is_company_staff(request)
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessGrant)
class AccessGrantAdmin(ScopedToCommunities):
    list_display = ("rider", "community", "status", "valid_from", "valid_until", "source")
    list_select_related = ("rider", "community")
    search_fields = ("rider__name", "rider__platform_rider_id", "rider__vehicle_plate")
    readonly_fields = (
        "rider",
        "community",
        "status",
        "valid_from",
        "valid_until",
        "source",
        "approved_by",
        "reason",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    actions = ("approve", "suspend", "revoke")

    def get_list_filter(self, request):
        return (CommunityListFilter, "status", "source")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(community__in=self._visible(request))

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return request_is_company_staff(request)
        return request_has_community_perm(request, obj.community, perm=VIEW)

    def has_change_permission(self, request, obj=None):
        return False  # changes are the actions below, through the grant service

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not (
            request.user.is_superuser
            or communities_for_user(request.user, perm=MANAGE_RIDERS).exists()
        ):
            return {}
        return actions

    def _apply(self, request, queryset, change, **kwargs):
        done = refused = 0
        for grant in queryset.select_related("rider", "community"):
            if not request_has_community_perm(request, grant.community, perm=MANAGE_RIDERS):
                refused += 1
                continue
            try:
                change(grant=grant, acting_user=request.user, **kwargs)
                done += 1
            except ValidationError as exc:
                refused += 1
                self.message_user(request, f"{grant}: {' '.join(exc.messages)}", messages.WARNING)
        self.message_user(
            request,
            _("%(done)s changed, %(refused)s refused.") % {"done": done, "refused": refused},
        )

    @admin.action(description=_("Approve (valid 12 months)"))
    def approve(self, request, queryset):
        self._apply(request, queryset, grants.grant_approve)

    @admin.action(description=_("Suspend (reason: staff decision in the admin)"))
    def suspend(self, request, queryset):
        self._apply(
            request, queryset, grants.grant_suspend, reason=str(_("Staff decision in the admin"))
        )

    @admin.action(description=_("Revoke (reason: staff decision in the admin)"))
    def revoke(self, request, queryset):
        self._apply(
            request, queryset, grants.grant_revoke, reason=str(_("Staff decision in the admin"))
        )


@admin.register(AccessEvent)
class AccessEventAdmin(ScopedToCommunities):
    list_display = ("occurred_at", "gate", "rider", "direction", "decision", "reason", "source")
    list_select_related = ("gate", "rider")
    list_filter = ("decision", "reason", "direction", "source")
    date_hierarchy = "occurred_at"
    search_fields = ("rider__name", "rider__platform_rider_id")
    readonly_fields = (
        "event_id",
        "gate",
        "grant",
        "rider",
        "direction",
        "decision",
        "reason",
        "source",
        "occurred_at",
        "recorded_at",
    )
    fields = readonly_fields
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(gate__community__in=self._visible(request))

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return request_is_company_staff(request)
        return request_has_community_perm(request, obj.gate.community, perm=VIEW)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
