"""Staff pages for riders: the guard console at a gate, rider search, a rider's page with
grant actions, gate code rotation and poster downloads.

Every page is scoped by object permissions on the community: a gate or rider outside the
user's communities answers 404, as if it did not exist. Every change to a grant goes
through riders.services.grants.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from communities.models import Gate
from communities.permissions import GUARD, MANAGE_RIDERS, communities_for_user

from .models import (
    GRANT_DEFAULT_VALIDITY,
    AccessEvent,
    AccessGrant,
    Direction,
    GrantStatus,
    Reason,
    Rider,
)
from .poster_text import poster_text
from .privacy import can_view_personal_data, phone_for_staff
from .services import grants as grant_services
from .services.gates import gate_code_rotate
from .services.posters import poster_print_record

EVENTS_SHOWN = 20
SEARCH_LIMIT = 50


def _guard_gate(request: HttpRequest, code: str) -> Gate:
    """The gate with entry code `code` if the user guards its community; else 404."""
    gate = (
        Gate.objects.select_related("community")
        .filter(entry_code=code, community__in=communities_for_user(request.user, perm=GUARD))
        .first()
    )
    if gate is None:
        raise Http404("No such gate")
    return gate


def _recent_events(gate: Gate) -> list[AccessEvent]:
    return list(
        AccessEvent.objects.filter(gate=gate)
        .select_related("rider")
        .order_by("-occurred_at", "-id")[:EVENTS_SHOWN]
    )


def _event_json(event: AccessEvent) -> dict:
    return {
        "occurred_at": timezone.localtime(event.occurred_at).strftime("%H:%M:%S"),
        "direction": event.direction,
        "direction_label": str(Direction(event.direction).label),
        "decision": event.decision,
        "reason": event.reason,
        "reason_label": str(Reason(event.reason).label),
        "rider": event.rider.name if event.rider else "",
    }


@login_required
@require_GET
def guard_console(request: HttpRequest, code: str) -> HttpResponse:
    gate = _guard_gate(request, code)
    return render(
        request,
        "riders/guard/console.html",
        {
            "gate": gate,
            "events": _recent_events(gate),
            "can_rotate": request.user.is_superuser
            or communities_for_user(request.user, perm=MANAGE_RIDERS)
            .filter(pk=gate.community_id)
            .exists(),
        },
    )


@login_required
@require_GET
def guard_events(request: HttpRequest, code: str) -> JsonResponse:
    gate = _guard_gate(request, code)
    return JsonResponse({"events": [_event_json(e) for e in _recent_events(gate)]})


def _managed_gate(request: HttpRequest, gate_id: int) -> Gate:
    return get_object_or_404(
        Gate.objects.select_related("community"),
        pk=gate_id,
        community__in=communities_for_user(request.user, perm=MANAGE_RIDERS),
    )


@login_required
@require_POST
def gate_rotate(request: HttpRequest, gate_id: int) -> HttpResponse:
    gate = _managed_gate(request, gate_id)
    gate_code_rotate(gate=gate, acting_user=request.user)
    messages.success(
        request, _("The gate has a new code. Print new posters: the old ones no longer work.")
    )
    return redirect("riders:guard_console", code=gate.entry_code)


# --- Riders -----------------------------------------------------------------------------


class RiderSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name, platform rider id or vehicle plate"),
        max_length=100,
        required=False,
    )


@login_required
@require_GET
def rider_search(request: HttpRequest) -> HttpResponse:
    form = RiderSearchForm(request.GET)
    communities = communities_for_user(request.user, perm=MANAGE_RIDERS)
    riders: list[Rider] = []
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
    if query:
        in_scope = AccessGrant.objects.filter(community__in=communities)
        riders = list(
            Rider.objects.filter(
                Q(name__icontains=query)
                | Q(platform_rider_id__iexact=query)
                | Q(vehicle_plate__iexact=query.replace(" ", "")),
                grants__in=in_scope,
            )
            .distinct()
            .select_related("platform")
            .prefetch_related(
                Prefetch(
                    "grants",
                    queryset=in_scope.select_related("community").order_by("community__name"),
                    to_attr="grants_in_scope",
                )
            )
            .order_by("name", "pk")[:SEARCH_LIMIT]
        )
    return render(
        request,
        "riders/staff/rider_search.html",
        {"form": form, "query": query, "riders": riders, "limit": SEARCH_LIMIT},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ValidityForm(forms.Form):
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty for twelve months from today."),
    )

    def clean_valid_until(self) -> dt.date | None:
        value = self.cleaned_data["valid_until"]
        if value is not None and value <= timezone.localdate():
            raise forms.ValidationError(_("The end of validity must be in the future."))
        return value

    def until(self) -> dt.datetime:
        value = self.cleaned_data.get("valid_until")
        if value is None:
            return timezone.now() + GRANT_DEFAULT_VALIDITY
        end = dt.datetime.combine(value, dt.time(23, 59, 59))
        return timezone.make_aware(end)


def _rider_in_scope(request: HttpRequest, rider_id: int) -> tuple[Rider, list[AccessGrant]]:
    communities = communities_for_user(request.user, perm=MANAGE_RIDERS)
    rider = get_object_or_404(Rider.objects.select_related("platform"), pk=rider_id)
    grants = list(
        AccessGrant.objects.filter(rider=rider, community__in=communities)
        .select_related("community", "approved_by")
        .order_by("community__name")
    )
    if not grants:
        raise Http404("No such rider")
    return rider, grants


def _render_rider(request: HttpRequest, rider: Rider, grants: list[AccessGrant], **extra):
    events = list(
        AccessEvent.objects.filter(
            rider=rider, gate__community__in=[g.community_id for g in grants]
        )
        .select_related("gate")
        .order_by("-occurred_at", "-id")[:EVENTS_SHOWN]
    )
    for grant in grants:
        grant.reason_form = extra.get("forms", {}).get((grant.pk, "reason")) or ReasonForm(
            prefix=f"g{grant.pk}"
        )
        grant.validity_form = extra.get("forms", {}).get((grant.pk, "validity")) or ValidityForm(
            prefix=f"v{grant.pk}"
        )
    return render(
        request,
        "riders/staff/rider_detail.html",
        {
            "rider": rider,
            "grants": grants,
            "events": events,
            "Status": GrantStatus,
            "phone": extra.get("phone") or rider.phone_masked,
            "phone_revealed": bool(extra.get("phone")),
            "can_reveal_phone": bool(rider.phone) and can_view_personal_data(request.user),
        },
        status=extra.get("status", 200),
    )


@login_required
@require_GET
def rider_detail(request: HttpRequest, rider_id: int) -> HttpResponse:
    rider, grants = _rider_in_scope(request, rider_id)
    if request.GET.get("show") == "phone" and can_view_personal_data(request.user):
        # Unmasked only when asked for, and audited (riders.privacy).
        return _render_rider(
            request, rider, grants, phone=phone_for_staff(rider=rider, user=request.user)
        )
    return _render_rider(request, rider, grants)


ACTIONS = ("approve", "suspend", "revoke", "reinstate", "validity")


@login_required
@require_POST
def grant_action(request: HttpRequest, rider_id: int, grant_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action")
    rider, grants = _rider_in_scope(request, rider_id)
    grant = next((g for g in grants if g.pk == grant_id), None)
    if grant is None:
        raise Http404("No such grant")
    forms_with_errors: dict = {}
    try:
        if action in ("suspend", "revoke"):
            form = ReasonForm(request.POST, prefix=f"g{grant.pk}")
            if not form.is_valid():
                forms_with_errors[(grant.pk, "reason")] = form
                raise ValidationError(_("Give a reason."))
            service = (
                grant_services.grant_suspend if action == "suspend" else grant_services.grant_revoke
            )
            service(grant=grant, reason=form.cleaned_data["reason"], acting_user=request.user)
        elif action in ("approve", "validity"):
            form = ValidityForm(request.POST, prefix=f"v{grant.pk}")
            if not form.is_valid():
                forms_with_errors[(grant.pk, "validity")] = form
                raise ValidationError(_("Correct the date of validity."))
            if action == "approve":
                grant_services.grant_approve(
                    grant=grant, valid_until=form.until(), acting_user=request.user
                )
            else:
                grant_services.grant_set_validity(
                    grant=grant,
                    valid_from=grant.valid_from,
                    valid_until=form.until(),
                    acting_user=request.user,
                )
        else:
            grant_services.grant_reinstate(grant=grant, acting_user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        rider, grants = _rider_in_scope(request, rider_id)
        return _render_rider(request, rider, grants, forms=forms_with_errors, status=400)
    messages.success(request, _("Saved: %(community)s.") % {"community": grant.community.name})
    return redirect("riders:staff_rider", rider_id=rider.pk)


# --- Posters ----------------------------------------------------------------------------


def _poster_size(request: HttpRequest) -> str:
    size = request.GET.get("size", "a4").lower()
    if size not in ("a4", "a5"):
        raise Http404("No such size")
    return size


@login_required
@require_GET
def gate_poster(request: HttpRequest, gate_id: int, fmt: str) -> HttpResponse:
    from .posters import poster_bytes

    if fmt not in ("png", "pdf"):
        raise Http404("No such format")
    gate = _managed_gate(request, gate_id)
    size = _poster_size(request)
    content_type = "application/pdf" if fmt == "pdf" else "image/png"
    response = HttpResponse(poster_bytes(gate, size=size, fmt=fmt), content_type=content_type)
    # Remember the words printed, so staff are told when this poster goes out of date.
    poster_print_record(printed=[(gate, poster_text(gate))], acting_user=request.user)
    response["Content-Disposition"] = f'attachment; filename="gate-{gate.pk}-{size}.{fmt}"'
    return response


@login_required
@require_GET
def gate_posters_zip(request: HttpRequest) -> HttpResponse:
    from .posters import poster_bytes

    try:
        ids = sorted({int(x) for x in request.GET.get("ids", "").split(",") if x.strip()})
    except ValueError as exc:
        raise Http404("Bad gate ids") from exc
    if not ids or len(ids) > 200:
        raise Http404("No gates")
    size = _poster_size(request)
    fmt = "pdf" if request.GET.get("format") == "pdf" else "png"
    gates = list(
        Gate.objects.select_related("community").filter(
            pk__in=ids, community__in=communities_for_user(request.user, perm=MANAGE_RIDERS)
        )
    )
    if len(gates) != len(ids):
        raise Http404("No such gate")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for gate in gates:
            archive.writestr(f"gate-{gate.pk}-{size}.{fmt}", poster_bytes(gate, size=size, fmt=fmt))
    poster_print_record(printed=[(g, poster_text(g)) for g in gates], acting_user=request.user)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="gate-posters-{size}.zip"'
    return response
