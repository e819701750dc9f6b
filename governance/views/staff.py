"""Staff pages under /vote/staff/<community-slug>/: resolutions with their live count,
create, open, close early, give a pending hand-off point, export ballots as CSV.
Reading needs the community's view permission, changing needs change permission;
staff of another company get 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.permissions import CHANGE, VIEW, community_for_user, user_has_community_perm
from core.spreadsheet import csv_writer

from ..effects import handoff_suggestion
from ..forms import HandoffForm, ResolutionForm
from ..models import Ballot, Resolution, ResolutionState
from ..permissions import resolution_for_user
from ..services import (
    resolution_close,
    resolution_create,
    resolution_handoff_set,
    resolution_open,
    resolution_open_blockers,
)
from ..tally import area_m2
from .common import events_display, resolution_context


def _report(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_http_methods(["GET", "POST"])
def resolution_list(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_for_user(
        request.user, slug, perm=CHANGE if request.method == "POST" else VIEW
    )
    can_change = user_has_community_perm(request.user, community, perm=CHANGE)
    form = ResolutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resolution = resolution_create(
                community=community,
                title=data["title"],
                text=data["text"],
                matter=data["matter"] or None,
                matter_reason=data["matter_reason"],
                effect=form.effect(),
                allow_vote_change=data["allow_vote_change"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            _report(request, exc)
        else:
            messages.success(
                request, _("Draft resolution #%(n)s saved.") % {"n": resolution.number}
            )
            return redirect("governance:staff_detail", slug=slug, pk=resolution.pk)
    resolutions = (
        Resolution.objects.filter(community=community)
        .annotate(ballot_count=Count("ballots"))
        .order_by("-number")
    )
    return render(
        request,
        "governance/staff_list.html",
        {
            "community": community,
            "resolutions": resolutions,
            "form": form,
            "can_change": can_change,
            "pending": [r for r in resolutions if r.state == ResolutionState.PASSED_PENDING],
        },
    )


@login_required
@require_GET
def resolution_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    resolution = resolution_for_user(request.user, slug, pk, perm=VIEW)
    community = resolution.community
    context = resolution_context(resolution)
    context.update(
        community=community,
        can_change=user_has_community_perm(request.user, community, perm=CHANGE),
        blockers=resolution_open_blockers(resolution)
        if resolution.state == ResolutionState.DRAFT
        else [],
        events=events_display(resolution),
        handoff_form=HandoffForm(
            initial={
                "handoff_point": handoff_suggestion(resolution),
                "handoff_point_en": str((resolution.effect or {}).get("handoff_point_en") or ""),
            }
        )
        if resolution.state == ResolutionState.PASSED_PENDING
        else None,
        now=timezone.now(),
    )
    return render(request, "governance/staff_detail.html", context)


@login_required
@require_POST
def resolution_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    resolution = resolution_for_user(request.user, slug, pk, perm=CHANGE)
    try:
        if action == "open":
            resolution_open(resolution=resolution, acting_user=request.user)
            messages.success(request, _("Voting is open; the roll of owners is frozen."))
        elif action == "close":
            resolution = resolution_close(resolution=resolution, acting_user=request.user)
            messages.success(
                request,
                _("Voting closed: %(state)s.") % {"state": resolution.get_state_display()},
            )
        elif action == "handoff":
            form = HandoffForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Say where riders hand the food over."))
            resolution_handoff_set(
                resolution=resolution,
                handoff_point=form.cleaned_data["handoff_point"],
                handoff_point_en=form.cleaned_data["handoff_point_en"],
                acting_user=request.user,
            )
            messages.success(request, _("Hand-off point published; the new rules apply."))
        else:
            return HttpResponse(status=404)
    except ValidationError as exc:
        _report(request, exc)
    return redirect("governance:staff_detail", slug=slug, pk=pk)


@login_required
@require_GET
def ballots_csv(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Ballots as CSV: units, area, choice, time — no names."""
    resolution = resolution_for_user(request.user, slug, pk, perm=VIEW)
    community = resolution.community
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{community.slug}-resolution-{resolution.number}-ballots.csv"'
    )
    response.write("\ufeff")  # Excel opens UTF-8 CSV with a BOM correctly
    writer = csv_writer(response)
    writer.writerow(["units", "area_m2", "choice", "cast_at", "updated_at", "receipt"])
    ballots = (
        Ballot.objects.filter(resolution=resolution)
        .select_related("voter")
        .order_by("voter__unit_labels")
    )
    for ballot in ballots:
        writer.writerow(
            [
                ballot.voter.unit_labels,
                area_m2(ballot.voter.area_hundredths),
                ballot.choice,
                ballot.cast_at.isoformat(),
                ballot.updated_at.isoformat(),
                ballot.receipt,
            ]
        )
    return response
