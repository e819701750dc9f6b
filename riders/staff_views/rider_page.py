"""A rider's page for staff: their grants in the user's communities, recent scans, the
phone on request, and one grant's actions (approve, decline, suspend, revoke, reinstate,
validity)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from communities.permissions import (
    MANAGE_RIDERS,
)

from ..models import (
    GRANT_DEFAULT_VALIDITY,
    AccessEvent,
    AccessGrant,
    GrantStatus,
    Rider,
)
from ..permissions import grant_for_user, grants_for_user, rider_for_user
from ..privacy import can_view_personal_data, phone_for_staff
from ..services import grants as grant_services
from .guard import EVENTS_SHOWN
from .rider_queue import _back_to_queue


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


def _grants_shown(request: HttpRequest, rider: Rider) -> list[AccessGrant]:
    """The rider's grants in the communities whose riders the user manages."""
    return list(
        grants_for_user(request.user, perm=MANAGE_RIDERS)
        .filter(rider=rider)
        .select_related("community", "approved_by")
        .order_by("community__name")
    )


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
    rider = rider_for_user(request.user, rider_id, perm=MANAGE_RIDERS)
    grants = _grants_shown(request, rider)
    if request.GET.get("show") == "phone" and can_view_personal_data(request.user):
        # Unmasked only when asked for, and audited (riders.privacy).
        return _render_rider(
            request, rider, grants, phone=phone_for_staff(rider=rider, user=request.user)
        )
    return _render_rider(request, rider, grants)


ACTIONS = ("approve", "decline", "suspend", "revoke", "reinstate", "validity")


def grant_done_message(action: str, *, rider: Rider, grant: AccessGrant) -> str:
    """What was done, to whom and where, in words (never a bare "Saved")."""
    names = {"rider": rider.name, "community": grant.community.name}
    if grant.valid_until:
        names["until"] = timezone.localtime(grant.valid_until).strftime("%Y-%m-%d")
    else:
        names["until"] = "—"
    texts = {
        "approve": _("Approved %(rider)s's access to %(community)s until %(until)s"),
        "validity": _("%(rider)s's access to %(community)s is now valid until %(until)s"),
        "suspend": _("Suspended %(rider)s's access to %(community)s"),
        "revoke": _("Revoked %(rider)s's access to %(community)s"),
        "reinstate": _("Reinstated %(rider)s's access to %(community)s"),
        "decline": _("Declined %(rider)s's request for %(community)s"),
    }
    return texts[action] % names


def _back(request: HttpRequest, rider: Rider) -> HttpResponse:
    """Back to the queue the action came from (a local /staff/riders/ address only), or to
    the rider's page."""
    if request.POST.get("next"):
        return _back_to_queue(request)
    return redirect("riders:staff_rider", rider_id=rider.pk)


@login_required
@require_POST
def grant_action(request: HttpRequest, rider_id: int, grant_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action")
    grant = grant_for_user(request.user, rider_id, grant_id, perm=MANAGE_RIDERS)
    rider = grant.rider
    forms_with_errors: dict = {}
    try:
        if action in ("suspend", "revoke", "decline"):
            form = ReasonForm(request.POST, prefix=f"g{grant.pk}")
            if not form.is_valid():
                forms_with_errors[(grant.pk, "reason")] = form
                raise ValidationError(_("Give a reason."))
            if action == "revoke" and request.POST.get("confirm") != "yes":
                # Revoking ends the rider's access at once: say so and ask once more.
                return render(
                    request,
                    "riders/staff/grant_revoke_confirm.html",
                    {"rider": rider, "grant": grant, "form": form},
                )
            if action == "decline" and grant.status != GrantStatus.PENDING:
                raise ValidationError(_("Only a request waiting for approval can be declined."))
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
        rider = rider_for_user(request.user, rider_id, perm=MANAGE_RIDERS)
        return _render_rider(
            request, rider, _grants_shown(request, rider), forms=forms_with_errors, status=400
        )
    grant.refresh_from_db(fields=["status", "valid_until"])
    messages.success(request, grant_done_message(action, rider=rider, grant=grant))
    return _back(request, rider)
