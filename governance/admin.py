"""Admin: owners and their units may be corrected here; resolutions, ballots and logs are
read-only (they change only through governance.services, which audits every change)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from communities.admin.audit import AdminAuditMixin
from core.adminmixins import IdsNotProbedMixin
from core.security.client import masked_phone

from .models import (
    Ballot,
    BallotLog,
    Feedback,
    Notice,
    Owner,
    Ownership,
    Resolution,
    ResolutionEvent,
    RulesDecision,
)


class ReadOnlyAdmin(IdsNotProbedMixin, admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OwnershipInline(admin.TabularInline):
    model = Ownership
    raw_id_fields = ("unit",)
    extra = 0


@admin.register(Owner)
class OwnerAdmin(IdsNotProbedMixin, AdminAuditMixin, admin.ModelAdmin):
    # Lists show the phone masked (a list is read over shoulders and in screenshots); one
    # owner's page shows the number to correct it.
    list_display = ("name", "phone_masked", "user", "invited_at")
    search_fields = ("name", "phone", "user__username")
    raw_id_fields = ("user",)
    inlines = [OwnershipInline]

    @admin.display(description=_("phone"))
    def phone_masked(self, obj: Owner) -> str:
        return masked_phone(obj.phone)


@admin.register(Resolution)
class ResolutionAdmin(ReadOnlyAdmin):
    list_display = ("community", "number", "title", "matter", "state", "opens_at", "closes_at")
    list_filter = ("state", "matter")
    search_fields = ("title", "community__name")
    list_select_related = ("community",)


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    list_display = ("resolution", "voter", "choice", "receipt", "cast_at", "updated_at")
    list_select_related = ("resolution", "voter")


@admin.register(BallotLog)
class BallotLogAdmin(ReadOnlyAdmin):
    list_display = ("resolution", "voter", "choice", "previous_choice", "receipt", "at")
    list_select_related = ("resolution", "voter")


@admin.register(ResolutionEvent)
class ResolutionEventAdmin(ReadOnlyAdmin):
    list_display = ("resolution", "from_state", "to_state", "actor", "at", "note")


@admin.register(RulesDecision)
class RulesDecisionAdmin(ReadOnlyAdmin):
    list_display = ("rules", "resolution")


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ("community", "category", "status", "sender", "created_at")
    list_filter = ("status", "category", "sender")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("community", "title", "published_at", "expires_at")
