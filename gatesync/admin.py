"""Gate controllers in the admin, with their sync health and "sync now" / "full resync"."""

from __future__ import annotations

import json
import secrets

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from communities.admin.scoping import (
    CommunityListFilter,
    CommunityScopedAdmin,
    choice_filter,
)
from communities.models import GateController
from communities.permissions import CHANGE, request_has_community_perm
from core.qr import qr_svg

from .auth import V1_SUNSET
from .health import health_of
from .interface import controller_resync
from .models import AccessListHead

_COLOURS = {"in_sync": "#1a7f37", "behind": "#9a6700", "offline": "#b42318", "never": "#57606a"}


class ControllerFilter(CommunityListFilter):
    def queryset(self, request, queryset):
        return choice_filter(self, queryset, "gate__community_id")


@admin.register(GateController)
class GateControllerAdmin(CommunityScopedAdmin):
    community_path = "gate__community"
    change_form_template = None  # no site map on this page
    list_display = (
        "id",
        "name",
        "gate",
        "driver",
        "protocol_flag",
        "sync_health",
        "versions",
        "last_heartbeat",
        "last_error_short",
    )
    list_select_related = ("gate__community", "sync")
    search_fields = ("name", "gate__name", "gate__community__name", "endpoint")
    actions = ("sync_now", "full_resync")
    fields = ("gate", "name", "driver", "protocol", "endpoint", "username", "secret", "enabled")

    def get_list_filter(self, request):
        return (ControllerFilter, "driver", "protocol", "enabled")

    @admin.display(description=_("protocol version"), ordering="protocol")
    def protocol_flag(self, obj: GateController) -> str:
        """Version 1 is flagged with the date after which it is refused (docs §9)."""
        if obj.driver == GateController.Driver.HTTP_JSON and obj.protocol < 2:
            return _("1 — deprecated, refused after %(date)s") % {"date": V1_SUNSET}
        return str(obj.protocol)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        head = AccessListHead.objects.filter(community_id=OuterRef("gate__community_id"))
        return (
            super()
            .get_queryset(request)
            .annotate(_head=Coalesce(Subquery(head.values("version")[:1]), Value(0)))
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "secret":
            # Shown once, on creation (the provisioning page); never rendered back into a
            # form. Left empty: a new controller gets a random one, an existing one keeps it.
            kwargs["widget"] = forms.PasswordInput(render_value=False)
            kwargs["help_text"] = _("Leave empty to keep the secret (or, new, to generate one).")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not form.cleaned_data.get("secret"):
            if change:
                obj.secret = GateController.objects.values_list("secret", flat=True).get(pk=obj.pk)
            elif obj.driver == GateController.Driver.HTTP_JSON:
                obj.secret = secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None) -> HttpResponse:
        """The provisioning page, once: id, secret, portal URL and protocol as text, JSON
        and a QR code an installer's tool can scan (docs/gate-protocol.md §0)."""
        if obj.driver != GateController.Driver.HTTP_JSON or "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        provisioning = {
            "portal": settings.PORTAL_BASE_URL,
            "controller": obj.pk,
            "secret": obj.secret,
            "protocol": obj.protocol,
        }
        text = json.dumps(provisioning, ensure_ascii=False)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Provisioning"),
            "controller": obj,
            "provisioning": provisioning,
            "provisioning_json": json.dumps(provisioning, indent=2, ensure_ascii=False),
            "qr": mark_safe(  # noqa: S308 - our own SVG
                qr_svg.__wrapped__(
                    text, title=str(_("Provisioning (JSON)"))
                )  # not cached: a secret
            ),
        }
        response = TemplateResponse(request, "admin/gatesync/provisioning.html", context)
        response["Cache-Control"] = "no-store"  # the secret must not stay in a cache
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        return admin.ModelAdmin.render_change_form(
            self, request, context, add, change, form_url, obj
        )

    def _health(self, obj: GateController):
        return health_of(obj, getattr(obj, "_head", 0))

    @admin.display(description=_("sync"))
    def sync_health(self, obj: GateController) -> str:
        health = self._health(obj)
        return format_html(
            '<strong style="color:{}">{}</strong>',
            _COLOURS.get(health.state, "#57606a"),
            health.label,
        )

    @admin.display(description=_("held / head"))
    def versions(self, obj: GateController) -> str:
        health = self._health(obj)
        return f"{'—' if health.held is None else health.held} / {health.head}"

    @admin.display(description=_("last heartbeat"))
    def last_heartbeat(self, obj: GateController):
        sync = getattr(obj, "sync", None)
        return sync.last_heartbeat_at if sync and sync.last_heartbeat_at else "—"

    @admin.display(description=_("last error"))
    def last_error_short(self, obj: GateController) -> str:
        sync = getattr(obj, "sync", None)
        return (sync.last_error[:80] if sync and sync.last_error else "") or "—"

    def _changeable(self, request: HttpRequest, queryset: QuerySet) -> list[GateController]:
        return [
            c
            for c in queryset
            if request_has_community_perm(request, c.gate.community, perm=CHANGE)
        ]

    def _enqueue(self, request: HttpRequest, queryset: QuerySet, *, full: bool) -> None:
        controllers = self._changeable(request, queryset)
        for controller in controllers:
            controller_resync(controller=controller, acting_user=request.user, full=full)
        self.message_user(
            request,
            ngettext(
                "%(n)d controller queued for a push.",
                "%(n)d controllers queued for a push.",
                len(controllers),
            )
            % {"n": len(controllers)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Sync now (send what is missing)"))
    def sync_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._enqueue(request, queryset, full=False)

    @admin.action(description=_("Full resync (send the whole list)"))
    def full_resync(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._enqueue(request, queryset, full=True)
