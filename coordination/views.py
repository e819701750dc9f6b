"""Pages of the coordination app.

Public (no log-in, like the rules page): `/c/<slug>/agreed/` (published minutes and open
action items, with their status) and `/c/<slug>/friendliness/` (the index, component by
component). Polls: `/coordination/polls/<id>/`, answered by an owner of the community
(logged in) or a rider holding a pass of it (device cookie).

Staff, under `/coordination/staff/`: a ranked list of their communities, a community's
meetings, polls and index trend, and a meeting's agenda, minutes, participants and
action items. Viewing needs the view permission on the community, changing the change
permission; anything of another company answers 404.

Street offices, under `/coordination/office/`: the ranked list of their district's
communities (every company's) and each one's index and trend; nothing else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.models import Community
from communities.permissions import (
    CHANGE,
    VIEW,
    communities_for_user,
    community_for_user,
    user_has_community_perm,
)
from communities.selectors.pages import community_public_get
from governance.models import Resolution
from governance.selectors import owner_for_user
from riders.views._device import device_rider

from . import selectors, services
from .charts import trend_svg
from .forms import (
    ActionItemForm,
    ActionStatusForm,
    MeetingForm,
    MinutesForm,
    ParticipantForm,
    PollAnswerForm,
    PollAttachForm,
    PollForm,
)
from .friendliness.index import NO_DATA, NOT_APPLICABLE, NOT_MEASURED, NOT_RECORDED
from .friendliness.measure import friendliness_cached
from .models import Poll, PollAudience
from .permissions import (
    action_item_for_user,
    district_communities_for_user,
    district_community_for_user,
    meeting_for_user,
    poll_for_user,
    street_offices_of_user,
)


def _why_none_labels() -> dict[str, str]:
    return {
        NOT_RECORDED: _("Last100 does not record this yet."),
        NOT_MEASURED: _("Not measured: no gate reported how long its decisions took."),
        NO_DATA: _("Nothing to measure yet."),
        NOT_APPLICABLE: _("Does not apply here."),
    }


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- public pages ------------------------------------------------------------------------


@require_GET
def agreed(request: HttpRequest, slug: str) -> HttpResponse:
    """What the four sides agreed, and how far each decision has come."""
    community = community_public_get(slug)
    if community is None:
        raise Http404("No such community")
    page = selectors.agreed_page(community)
    return render(
        request,
        "coordination/agreed.html",
        {"community": community, "page": page, "today": timezone.localdate()},
    )


@require_GET
def friendliness(request: HttpRequest, slug: str) -> HttpResponse:
    """The community's rider-friendliness index, explained component by component."""
    community = community_public_get(slug)
    if community is None:
        raise Http404("No such community")
    index = friendliness_cached(community)
    return render(
        request,
        "coordination/friendliness.html",
        {"community": community, "index": index, "why_none": _why_none_labels()},
    )


@require_http_methods(["GET", "POST"])
def poll_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An opinion poll: owners of the community (logged in) or its riders (with a pass on
    this phone) answer; everyone else sees the question and the counts."""
    poll = Poll.objects.select_related("community").filter(pk=pk).first()
    if poll is None:
        raise Http404("No such poll")
    person: dict = {}
    if poll.audience == PollAudience.OWNERS:
        owner = owner_for_user(request.user) if request.user.is_authenticated else None
        if owner is not None:
            person = {"owner": owner}
    else:
        rider = device_rider(request)
        if rider is not None:
            person = {"rider": rider}
    form = PollAnswerForm(request.POST or None)
    if request.method == "POST":
        if not person:
            raise Http404("Not asked")
        if form.is_valid():
            try:
                services.poll_answer(poll=poll, choice=form.cleaned_data["choice"], **person)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Thank you: your answer is recorded."))
            return redirect("coordination:poll", pk=poll.pk)
    result = selectors.poll_results(Poll.objects.filter(pk=poll.pk))[0]
    return render(
        request,
        "coordination/poll.html",
        {
            "poll": poll,
            "result": result,
            "form": form,
            "can_answer": bool(person) and services.poll_is_open(poll),
            "my_answer": selectors.poll_answer_of(poll, **person) if person else None,
        },
    )


# --- staff pages -------------------------------------------------------------------------


def _district_filter(request: HttpRequest, communities: QuerySet[Community]) -> tuple:
    """`?city=` and `?district=` (exact, as the community's fields hold them) applied to
    `communities`; with the choices offered (the cities and districts among them)."""
    city = request.GET.get("city", "").strip()[:40]
    district = request.GET.get("district", "").strip()[:40]
    places = sorted(
        set(communities.exclude(district="").values_list("city", "district").distinct())
    )
    if city:
        communities = communities.filter(city=city)
    if district:
        communities = communities.filter(district=district)
    cities = sorted({c for c, _d in places if c})
    return communities, {"city": city, "district": district, "places": places, "cities": cities}


@login_required
@require_GET
def staff_index(request: HttpRequest) -> HttpResponse:
    """The staff member's communities ranked by their latest index; `?city=` and
    `?district=` keep those of that city or district (the community's fields, exactly).
    A street office's member with no community of their own is sent to their district's
    list."""
    communities = communities_for_user(request.user)
    if not communities.exists() and street_offices_of_user(request.user).exists():
        return redirect("coordination:office_index")
    communities, place = _district_filter(request, communities)
    rows = selectors.friendliness_ranking(communities)
    return render(request, "coordination/staff_index.html", {"rows": rows, **place})


# --- street offices ----------------------------------------------------------------------


@login_required
@require_GET
def office_index(request: HttpRequest) -> HttpResponse:
    """A street office's ranked list: every community of its district (any company),
    by the latest index. Anyone who is no office's member gets a 404."""
    offices = list(street_offices_of_user(request.user))
    if not offices:
        raise Http404("No street office")
    communities, place = _district_filter(request, district_communities_for_user(request.user))
    rows = selectors.friendliness_ranking(communities)
    return render(
        request, "coordination/office_index.html", {"rows": rows, "offices": offices, **place}
    )


@login_required
@require_GET
def office_community(request: HttpRequest, slug: str) -> HttpResponse:
    """One community of the office's district: its index component by component and the
    30-day trend — the public, aggregate figures, nothing of its riders or staff."""
    community = district_community_for_user(request.user, slug)
    index = friendliness_cached(community)
    trend = selectors.snapshots_trend(community)
    return render(
        request,
        "coordination/office_community.html",
        {
            "community": community,
            "index": index,
            "why_none": _why_none_labels(),
            "trend": trend,
            "trend_chart": trend_svg(
                [(f"{t.day:%m-%d}", t.score) for t in trend],
                label=_("Rider-friendliness, last 30 days"),
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_community(request: HttpRequest, slug: str) -> HttpResponse:
    """Meetings, polls and the index trend of one community; schedule a meeting or a poll."""
    community = community_for_user(
        request.user, slug, perm=CHANGE if request.method == "POST" else VIEW
    )
    can_change = user_has_community_perm(request.user, community, perm=CHANGE)
    meeting_form = MeetingForm(request.POST if "schedule" in request.POST else None)
    poll_form = PollForm(request.POST if "poll" in request.POST else None)
    if request.method == "POST":
        try:
            if "schedule" in request.POST and meeting_form.is_valid():
                meeting = services.meeting_schedule(
                    community=community, acting_user=request.user, **meeting_form.cleaned_data
                )
                messages.success(request, _("Meeting scheduled; the agenda is drafted."))
                return redirect("coordination:meeting", slug=slug, pk=meeting.pk)
            if "poll" in request.POST and poll_form.is_valid():
                services.poll_create(
                    community=community, acting_user=request.user, **poll_form.cleaned_data
                )
                messages.success(request, _("Poll opened."))
                return redirect("coordination:staff_community", slug=slug)
        except ValidationError as exc:
            _errors(request, exc)
    trend = selectors.snapshots_trend(community)
    return render(
        request,
        "coordination/staff_community.html",
        {
            "community": community,
            "can_change": can_change,
            "meetings": list(selectors.meetings_for_staff(community)),
            "polls": selectors.poll_results(Poll.objects.filter(community=community)),
            "trend": trend,
            "trend_chart": trend_svg(
                [(f"{t.day:%m-%d}", t.score) for t in trend],
                label=_("Rider-friendliness, last 30 days"),
            ),
            "meeting_form": meeting_form,
            "poll_form": poll_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A meeting: agenda and minutes, participants, decisions as action items, publish."""
    change = request.method == "POST"
    meeting = meeting_for_user(request.user, slug, pk, perm=CHANGE if change else VIEW)
    community = meeting.community
    minutes_form = MinutesForm(
        request.POST if "minutes_save" in request.POST else None,
        initial={"agenda": meeting.agenda, "minutes": meeting.minutes},
    )
    participant_form = ParticipantForm(request.POST if "participant" in request.POST else None)
    action_form = ActionItemForm(request.POST if "action" in request.POST else None)
    if change:
        try:
            if "minutes_save" in request.POST and minutes_form.is_valid():
                services.meeting_update(
                    meeting=meeting, acting_user=request.user, **minutes_form.cleaned_data
                )
                messages.success(request, _("Saved."))
                return redirect("coordination:meeting", slug=slug, pk=pk)
            if "participant" in request.POST and participant_form.is_valid():
                services.participant_add(
                    meeting=meeting, acting_user=request.user, **participant_form.cleaned_data
                )
                messages.success(request, _("Participant added."))
                return redirect("coordination:meeting", slug=slug, pk=pk)
            if "action" in request.POST and action_form.is_valid():
                services.action_item_create(
                    meeting=meeting, acting_user=request.user, **action_form.cleaned_data
                )
                messages.success(request, _("Decision recorded as an action item."))
                return redirect("coordination:meeting", slug=slug, pk=pk)
            if "publish" in request.POST:
                services.meeting_minutes_publish(meeting=meeting, acting_user=request.user)
                messages.success(request, _("Minutes published on the community's page."))
                return redirect("coordination:meeting", slug=slug, pk=pk)
        except ValidationError as exc:
            _errors(request, exc)
    return render(
        request,
        "coordination/meeting.html",
        {
            "community": community,
            "meeting": meeting,
            "can_change": user_has_community_perm(request.user, community, perm=CHANGE),
            "participants": list(meeting.participants.all()),
            "actions": list(meeting.actions.all()),
            "minutes_form": minutes_form,
            "participant_form": participant_form,
            "action_form": action_form,
            "status_form": ActionStatusForm(),
            "blockers": services.meeting_publish_blockers(meeting),
            "next_at": services.meeting_next_after(meeting),
        },
    )


@login_required
@require_POST
def action_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    item = action_item_for_user(request.user, slug, pk, perm=CHANGE)
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
    else:
        try:
            services.action_item_set_status(
                item=item, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Status updated."))
    return redirect("coordination:meeting", slug=slug, pk=item.meeting_id)


@login_required
@require_POST
def poll_attach(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Attach a poll's result to the owners' resolution (by its number) it led to."""
    poll = poll_for_user(request.user, slug, pk, perm=CHANGE)
    form = PollAttachForm(request.POST)
    if form.is_valid():
        number = form.cleaned_data["resolution"]
        resolution = None
        if number:
            resolution = Resolution.objects.filter(community=poll.community, number=number).first()
        if number and resolution is None:
            messages.error(request, _("No resolution with that number in this community."))
        else:
            services.poll_attach_resolution(
                poll=poll, resolution=resolution, acting_user=request.user
            )
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Give a resolution number."))
    return redirect(reverse("coordination:staff_community", args=[slug]) + "#polls")
