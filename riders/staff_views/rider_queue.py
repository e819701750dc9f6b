"""/staff/riders/: the queue of riders' grants staff work from, and its bulk actions."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from communities.permissions import (
    MANAGE_RIDERS,
    communities_for_user,
)

from ..models import (
    AccessGrant,
    GrantStatus,
)
from ..permissions import grants_for_user
from ..services import grants as grant_services

# --- Riders -----------------------------------------------------------------------------


EXPIRING_DAYS = 14
QUEUE_PAGE = 50
BULK_LIMIT = 200


class QueueForm(forms.Form):
    """The filters of the riders' queue; an unknown value is cleaned away, never a 500."""

    SHOW = (
        ("pending", gettext_lazy("Waiting for approval")),
        ("suspended", gettext_lazy("Suspended")),
        ("expiring", gettext_lazy("Expiring within 14 days")),
        ("active", gettext_lazy("Active")),
        ("revoked", gettext_lazy("Revoked")),
        ("all", gettext_lazy("All")),
    )
    q = forms.CharField(
        label=gettext_lazy("Name, platform rider id or vehicle plate"),
        max_length=100,
        required=False,
    )
    show = forms.ChoiceField(label=gettext_lazy("Show"), choices=SHOW, required=False)
    community = forms.TypedChoiceField(
        label=gettext_lazy("Community"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, communities: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", _("All my communities"))] + [
            (c.pk, c.name) for c in communities
        ]


def riders_queue(*, communities, query: str, show: str, community_id: int | None):
    """The grants staff work from, newest request first, with rider and community (one
    query; the page adds one for the count)."""
    grants = AccessGrant.objects.filter(community__in=communities)
    if community_id:
        grants = grants.filter(community_id=community_id)
    if query:
        grants = grants.filter(
            Q(rider__name__icontains=query)
            | Q(rider__platform_rider_id__iexact=query)
            | Q(rider__vehicle_plate__iexact=query.replace(" ", ""))
        )
    now = timezone.now()
    if show == "expiring":
        grants = grants.filter(
            status=GrantStatus.ACTIVE,
            valid_until__gt=now,
            valid_until__lte=now + dt.timedelta(days=EXPIRING_DAYS),
        ).order_by("valid_until", "pk")
    else:
        if show in GrantStatus.values:
            grants = grants.filter(status=show)
        grants = grants.order_by("-created_at", "-pk")
    return grants.select_related("rider", "rider__platform", "community")


@login_required
@require_GET
def rider_search(request: HttpRequest) -> HttpResponse:
    """/staff/riders/: the queue staff work from. Pending requests by default (all
    statuses when searching), filters by status, "expiring soon" and community, one-tap
    approve / decline, and bulk actions (each grant changed through its service, one audit
    row each)."""
    communities = list(
        communities_for_user(request.user, perm=MANAGE_RIDERS).order_by("name", "pk")
    )
    form = QueueForm(request.GET, communities=communities)
    query, show, community_id = "", "pending", None
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        show = form.cleaned_data["show"] or ("all" if query else "pending")
        community_id = form.cleaned_data["community"]
    page = Paginator(
        riders_queue(communities=communities, query=query, show=show, community_id=community_id),
        QUEUE_PAGE,
    ).get_page(request.GET.get("page"))
    grants = list(page.object_list)
    riders = list({g.rider_id: g.rider for g in grants}.values())
    return render(
        request,
        "riders/staff/rider_search.html",
        {
            "form": form,
            "query": query,
            "show": show,
            "page": page,
            "grants": grants,
            "riders": riders,
            "has_communities": bool(communities),
            "Status": GrantStatus,
            "expiring_days": EXPIRING_DAYS,
            "here": request.get_full_path(),
            "bulk_reason_form": BulkReasonForm(prefix="bulk"),
        },
    )


@login_required
@require_POST
def grants_bulk(request: HttpRequest) -> HttpResponse:
    """Approve, suspend or decline/revoke several grants at once. Each goes through its
    service (validation, one audit row each); one that cannot change is named, the others
    are still done."""
    action = request.POST.get("action")
    if action not in ("approve", "suspend", "revoke"):
        messages.error(request, _("Choose what to do with the selected riders."))
        return _back_to_queue(request)
    try:
        ids = sorted({int(x) for x in request.POST.getlist("grant")})[:BULK_LIMIT]
    except ValueError as exc:
        raise Http404("Bad grant ids") from exc
    grants = list(
        grants_for_user(request.user, perm=MANAGE_RIDERS)
        .select_related("rider", "community")
        .filter(pk__in=ids)
    )
    if not ids or len(grants) != len(ids):
        # Another company's grant is as missing as a deleted one.
        if ids:
            raise Http404("No such grant")
        messages.error(request, _("Select at least one rider."))
        return _back_to_queue(request)
    reason = ""
    if action != "approve":
        form = BulkReasonForm(request.POST, prefix="bulk")
        reason = form.cleaned_data["reason"].strip() if form.is_valid() else ""
        if not reason:
            messages.error(request, _("Give a reason; the rider and your colleagues will see it."))
            return _back_to_queue(request)
        if action == "revoke" and request.POST.get("confirm") != "yes":
            return render(
                request,
                "riders/staff/grants_bulk_confirm.html",
                {"grants": grants, "reason": reason, "next": _queue_next(request)},
            )
    done = 0
    for grant in grants:
        try:
            if action == "approve":
                grant_services.grant_approve(grant=grant, acting_user=request.user)
            elif action == "suspend":
                grant_services.grant_suspend(grant=grant, reason=reason, acting_user=request.user)
            else:
                grant_services.grant_revoke(grant=grant, reason=reason, acting_user=request.user)
            done += 1
        except ValidationError as error:
            messages.error(
                request,
                _("%(rider)s, %(community)s: %(error)s")
                % {
                    "rider": grant.rider.name,
                    "community": grant.community.name,
                    "error": " ".join(error.messages),
                },
            )
    if done:
        texts = {
            "approve": ngettext("Approved %(n)d rider.", "Approved %(n)d riders.", done),
            "suspend": ngettext("Suspended %(n)d rider.", "Suspended %(n)d riders.", done),
            "revoke": ngettext(
                "Revoked or declined %(n)d rider.", "Revoked or declined %(n)d riders.", done
            ),
        }
        messages.success(request, texts[action] % {"n": done})
    return _back_to_queue(request)


class BulkReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (needed to suspend, decline or revoke)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _queue_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/staff/riders/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return reverse("riders:staff_riders")


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    return redirect(_queue_next(request))
