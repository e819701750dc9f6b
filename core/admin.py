from django.contrib import admin

from .adminmixins import IdsNotProbedMixin
from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(IdsNotProbedMixin, admin.ModelAdmin):
    """The audit trail: read-only, superusers only."""

    list_display = ("at", "actor", "action", "object_type", "object_id", "community_id")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_id", "actor__username")
    list_select_related = ("actor",)
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
