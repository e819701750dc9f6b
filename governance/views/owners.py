"""Owners' pages: the list of resolutions, one resolution with its ballot, live
participation. Owners see only resolutions of communities where they own units (or are
on the frozen roll); anything else is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..forms import CastForm
from ..live import live_tally
from ..models import Ballot, Choice, Owner, Resolution, ResolutionState, RollEntry
from ..permissions import owner_of_user, resolution_for_owner
from ..selectors import (
    notices_for_owner,
    owner_communities,
    owner_for_user,
    resolutions_grouped,
)
from ..services import ballot_cast
from .common import participation_bars, resolution_context

owner_login_required = login_required(login_url=reverse_lazy("governance:login"))


class OwnerLoginView(LoginView):
    template_name = "governance/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return str(reverse_lazy("governance:index"))


@owner_login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    owner = owner_for_user(request.user)
    context = {"owner": owner, "groups": {"open": [], "upcoming": [], "past": []}}
    if owner is not None:
        context.update(
            groups=resolutions_grouped(owner),
            notices=notices_for_owner(owner),
            communities=list(owner_communities(owner)),
            feedback=list(owner.feedback.order_by("-created_at")[:10]),
        )
    return render(request, "governance/index.html", context)


@owner_login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    owner = owner_of_user(request.user)
    resolution = resolution_for_owner(owner, pk)
    entries = list(
        RollEntry.objects.filter(resolution=resolution, members__owner=owner).order_by("pk")
    )
    ballots = {
        b.voter_id: b for b in Ballot.objects.filter(resolution=resolution, voter__in=entries)
    }
    voting = [{"entry": e, "ballot": ballots.get(e.pk)} for e in entries]
    context = resolution_context(resolution)
    context.update(
        owner=owner,
        voting=voting,
        can_vote=resolution.accepts_ballots_now and bool(entries),
        several=len(entries) > 1,
    )
    return render(request, "governance/detail.html", context)


@owner_login_required
@require_POST
def cast(request: HttpRequest, pk: int) -> HttpResponse:
    owner = owner_of_user(request.user)
    resolution = resolution_for_owner(owner, pk)
    form = CastForm(request.POST)
    as_json = request.POST.get("format") == "json"  # scripts and the bench; forms redirect
    if not form.is_valid():
        if as_json:
            return JsonResponse({"errors": [_("Choose for, against or abstain.")]}, status=400)
        messages.error(request, _("Choose for, against or abstain."))
        return redirect("governance:detail", pk=pk)
    voter = None
    if form.cleaned_data.get("voter"):
        voter = RollEntry.objects.filter(
            resolution=resolution, pk=form.cleaned_data["voter"], members__owner=owner
        ).first()
        if voter is None:
            raise Http404("Not your ballot")
    choice = form.cleaned_data["choice"]
    if not as_json and request.POST.get("confirmed") != "1":
        previous = _ballot_to_change(resolution, owner, voter)
        if previous is not None and previous.choice != choice:
            # A change takes a second, deliberate tap: it replaces the receipt code.
            return render(
                request,
                "governance/confirm_change.html",
                {
                    "resolution": resolution,
                    "previous": previous,
                    "choice": choice,
                    "choice_label": dict(Choice.choices)[choice],
                    "voter": voter,
                },
            )
    try:
        ballot = ballot_cast(
            resolution=resolution,
            owner=owner,
            choice=form.cleaned_data["choice"],
            acting_user=request.user,
            voter=voter,
        )
    except ValidationError as exc:
        if as_json:
            return JsonResponse({"errors": exc.messages}, status=400)
        for message in exc.messages:
            messages.error(request, message)
    else:
        if as_json:
            return JsonResponse({"choice": ballot.choice, "receipt": ballot.receipt})
        messages.success(
            request,
            _("Your vote “%(choice)s” is recorded. Receipt code: %(receipt)s")
            % {"choice": ballot.get_choice_display(), "receipt": ballot.receipt},
        )
    return redirect("governance:detail", pk=pk)


def _ballot_to_change(
    resolution: Resolution, owner: Owner, voter: RollEntry | None
) -> Ballot | None:
    """The ballot a cast would change: the chosen voter's, or the owner's only one."""
    entries = RollEntry.objects.filter(resolution=resolution, members__owner=owner)
    if voter is not None:
        entries = entries.filter(pk=voter.pk)
    ballots = list(Ballot.objects.filter(resolution=resolution, voter__in=entries)[:2])
    return ballots[0] if len(ballots) == 1 else None


@owner_login_required
@require_GET
def participation(request: HttpRequest, pk: int) -> JsonResponse:
    """Live participation for the bars on the owner's page (polled by vote.js)."""
    resolution = resolution_for_owner(owner_of_user(request.user), pk)
    figures = live_tally(resolution)
    return JsonResponse(
        {
            "state": resolution.state,
            "open": resolution.state == ResolutionState.OPEN,
            "bars": [bar.as_json() for bar in participation_bars(figures)],
        },
        headers={"Cache-Control": "no-store"},
    )
