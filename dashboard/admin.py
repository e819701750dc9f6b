from django.contrib import admin

from communities.admin import SuperuserOnlyAdmin

from .models import HourlyEventCount


@admin.register(HourlyEventCount)
class HourlyEventCountAdmin(SuperuserOnlyAdmin):
    """Superusers only, read-only: the roll-up writes these rows; staff read them on
    /staff/, scoped to their communities."""

    list_display = ("hour", "community", "gate", "direction", "decision", "reason", "count")
    list_filter = ("direction", "decision")
    list_select_related = ("community", "gate")
    date_hierarchy = "hour"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
