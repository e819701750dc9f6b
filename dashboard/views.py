"""The staff dashboard: `/staff/` (a card per community, charts), a community's page
(gates and their sync, riders inside, last events with filters, CSV export) and a
rider's history. Scoped by object permissions: another company's community or rider
answers 404, as if it did not exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from communities.models import Community
from communities.permissions import (
    CHANGE,
    VIEW,
    communities_for_user,
    community_for_user,
    controller_for_user,
    user_has_community_perm,
)
from coordination.charts import trend_svg
from coordination.selectors import snapshots_trends
from core.spreadsheet import csv_writer
from gatesync.interface import controller_resync
from riders.models import Decision, Reason, Rider
from riders.permissions import grants_for_user, rider_for_user

from . import charts
from .selectors.history import (
    EVENTS_SHOWN,
    EventFilter,
    community_events,
    last_events,
    rider_visits,
)
from .selectors.overview import Overview, overview

STAY_LABELS = ("<2", "2–5", "5–10", "10–15", "15–30", "30–60", "60+")


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    wide: bool = False


def _charts(data: Overview, prefix: str) -> list[Chart]:
    """The four charts, each with its title shown as the figure's caption."""
    days = settings.DASHBOARD_CHART_DAYS
    # The worst first: offline or never synced, then the furthest behind.
    health = sorted(data.health, key=lambda h: (h.ok, -h.behind, h.controller.gate.name))[:12]
    titles = {
        "entries": _("Entries per hour, last %(days)d days") % {"days": days},
        "stays": _("Time inside, last %(hours)d hours")
        % {"hours": settings.DASHBOARD_STAY_WINDOW_HOURS},
        "denied": _("Denied scans by reason, last %(days)d days") % {"days": days},
        "lag": _("Sync lag per gate controller (changes behind)"),
    }
    return [
        Chart(
            titles["entries"],
            charts.entries_per_hour(f"{prefix}-entries", titles["entries"], data.hourly),
            wide=True,
        ),
        Chart(
            titles["stays"],
            charts.histogram(
                f"{prefix}-stays", titles["stays"], STAY_LABELS, data.stay_buckets, _("minutes")
            ),
        ),
        Chart(
            titles["denied"],
            charts.horizontal_bars(
                f"{prefix}-denied",
                titles["denied"],
                [(str(Reason(r).label), n, str(n)) for r, n in data.denied],
                tone="deny",
                empty=_("No scans were denied."),
            ),
        ),
        Chart(
            titles["lag"],
            charts.horizontal_bars(
                f"{prefix}-lag",
                titles["lag"],
                [
                    (
                        f"{h.controller.gate.name} · {h.controller.name}",
                        h.behind if h.ok or h.behind else 1,
                        h.label,
                    )
                    for h in health
                ],
                tone="warn",
                empty=_("Every gate controller is in sync."),
            ),
        ),
    ]


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    communities = communities_for_user(request.user, perm=VIEW).order_by("name", "pk")
    page = Paginator(communities, settings.DASHBOARD_CARDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    data = overview(list(page.object_list))
    # Each card's rider-friendliness over 30 days (coordination's daily snapshots): one
    # query for the page's communities.
    trends = snapshots_trends([c.pk for c in page.object_list])
    for card in data.cards:
        trend = trends.get(card.community.pk, [])
        card.friendliness = trend[-1].score if trend else None
        card.friendliness_chart = trend_svg(
            [(f"{t.day:%m-%d}", t.score) for t in trend],
            label=_("Rider-friendliness of %(name)s, last 30 days") % {"name": card.community.name},
        )
    return render(
        request,
        "dashboard/dashboard.html",
        {"page": page, "data": data, "charts": _charts(data, "all")},
    )


#: The days a filter may name. A day is turned into a zoned datetime and the end moves one
#: day on, so 0001-01-01 and 9999-12-31 overflowed (a 500); the portal's events all lie
#: well inside this range.
FILTER_FIRST_DAY = dt.date(2000, 1, 1)
FILTER_LAST_DAY = dt.date(2999, 12, 31)


def _day_in_range(value: dt.date) -> None:
    if not FILTER_FIRST_DAY <= value <= FILTER_LAST_DAY:
        raise forms.ValidationError(
            _("Choose a date from %(first)s to %(last)s.")
            % {"first": FILTER_FIRST_DAY.isoformat(), "last": FILTER_LAST_DAY.isoformat()}
        )


class EventFilterForm(forms.Form):
    gate = forms.TypedChoiceField(label=gettext_lazy("Gate"), required=False, coerce=int)
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        required=False,
        choices=[("", gettext_lazy("any"))] + list(Decision.choices),
    )
    rider = forms.CharField(
        label=gettext_lazy("Rider (platform id or name)"), required=False, max_length=100
    )
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[_day_in_range],
    )
    end = forms.DateField(
        label=gettext_lazy("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[_day_in_range],
    )

    def __init__(self, *args, gates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gate"].choices = [("", _("any"))] + [(g.pk, g.name) for g in gates]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data

    def event_filter(self, *, default_days: int = 0) -> EventFilter:
        """The filter; without dates and with `default_days`, the last that many days
        (today included)."""
        if not self.is_valid():
            return EventFilter()
        data = self.cleaned_data
        tz = timezone.get_current_timezone()

        def day(value: dt.date | None, shift: int = 0) -> dt.datetime | None:
            if value is None:
                return None
            return dt.datetime.combine(value + dt.timedelta(days=shift), dt.time(), tzinfo=tz)

        start, end = data.get("start"), data.get("end")
        if start is None and end is None and default_days:
            start = timezone.localdate() - dt.timedelta(days=default_days - 1)
        return EventFilter(
            gate_id=data.get("gate") or None,
            decision=data.get("decision") or "",
            rider=(data.get("rider") or "").strip(),
            start=day(start),
            end=day(end, 1),
        )


@login_required
@require_GET
def community_detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_for_user(request.user, slug, perm=VIEW)
    data = overview([community])
    card = data.cards[0]
    form = EventFilterForm(request.GET or None, gates=card.gates)
    flt = form.event_filter()
    events = last_events(community, card.gates, flt)
    now, inside = data.now, data.inside
    riders = Rider.objects.select_related("platform").in_bulk([i.rider_id for i in inside])
    gate_names = {g.pk: g.name for g in card.gates}
    inside_rows = [
        {
            "rider": riders[i.rider_id],
            "gate": gate_names.get(i.gate_id, ""),
            "entered_at": i.entered_at,
            "minutes": int((now - i.entered_at).total_seconds() // 60),
        }
        for i in inside
        if i.rider_id in riders
    ]
    return render(
        request,
        "dashboard/community.html",
        {
            "community": community,
            "card": card,
            "data": data,
            "charts": _charts(data, "c"),
            "health": data.health,
            "inside": inside_rows,
            "events": events,
            "form": form,
            "events_shown": EVENTS_SHOWN,
            # One reverse() instead of one per event row: /staff/riders/<id>/history
            "riders_url": reverse("dashboard:rider_history", args=[0]).removesuffix("0/history"),
            "query": request.GET.urlencode(),
            "can_change": user_has_community_perm(request.user, community, perm=CHANGE),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_DEFAULT_DAYS = 7
CSV_HEADER = ("occurred_at", "gate", "direction", "decision", "reason", "source", "rider_id")


@login_required
@require_GET
def community_events_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Events of a period as CSV, streamed oldest first (rider by platform id, no phone)."""
    community = community_for_user(request.user, slug, perm=VIEW)
    gates = list(community.gates.order_by("name"))
    form = EventFilterForm(request.GET, gates=gates)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    # Without dates: the last CSV_DEFAULT_DAYS days, not every event kept.
    flt = form.event_filter(default_days=CSV_DEFAULT_DAYS)
    gate_names = {g.pk: g.name for g in gates}
    rows = (
        community_events(community, gates, flt)
        .order_by("occurred_at", "id")
        .values_list(
            "occurred_at",
            "gate_id",
            "direction",
            "decision",
            "reason",
            "source",
            "rider__platform_rider_id",
        )
    )
    writer = csv_writer(_Echo())

    def lines():
        yield writer.writerow(CSV_HEADER)
        for occurred_at, gate_id, *rest, rider_id in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    timezone.localtime(occurred_at).isoformat(),
                    gate_names[gate_id],
                    *rest,
                    rider_id or "",
                ]
            )

    name = f"{community.slug}-events.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def rider_history(request: HttpRequest, rider_id: int) -> HttpResponse:
    rider = rider_for_user(request.user, rider_id, perm=VIEW)
    community_ids = list(
        grants_for_user(request.user, perm=VIEW)
        .filter(rider=rider)
        .values_list("community_id", flat=True)
        .distinct()
    )
    names = dict(Community.objects.filter(pk__in=community_ids).values_list("pk", "name"))
    visits = rider_visits(rider, community_ids)
    for visit in visits:
        visit.community_name = names.get(visit.community_id, "")
    return render(request, "dashboard/rider_history.html", {"rider": rider, "visits": visits})


@login_required
@require_POST
def controller_sync(request: HttpRequest, slug: str, controller_id: int) -> HttpResponse:
    """ "Sync now" (send what is missing) or "Full resync" (the whole list) for one gate
    controller; staff who may change the community only."""
    controller = controller_for_user(request.user, slug, controller_id, perm=CHANGE)
    community = controller.gate.community
    full = request.POST.get("full") == "1"
    queued = controller_resync(controller=controller, acting_user=request.user, full=full)
    messages.add_message(
        request,
        messages.SUCCESS if queued else messages.WARNING,
        (_("Full resync of %(name)s queued.") if full else _("Sync of %(name)s queued."))
        % {"name": controller.name}
        if queued
        else _("The task queue cannot be reached; the controller will be synced when it is back."),
    )
    return redirect(reverse("dashboard:community", args=[community.slug]) + "#gates-title")


GO_TARGETS = {"votes": "governance:staff_list", "feedback": "governance:staff_feedback"}


@login_required
@require_GET
def staff_go(request: HttpRequest, what: str) -> HttpResponse:
    """The staff navigation's "Votes" and "Feedback": those pages are per community, so
    with one community go straight there, with several choose one."""
    if what not in GO_TARGETS:
        raise Http404("No such page")
    communities = list(communities_for_user(request.user, perm=VIEW).order_by("name", "pk")[:201])
    if len(communities) == 1:
        return redirect(GO_TARGETS[what], slug=communities[0].slug)
    titles = {"votes": _("Votes"), "feedback": _("Feedback")}
    return render(
        request,
        "dashboard/go.html",
        {
            "title": titles[what],
            "links": [(c.name, reverse(GO_TARGETS[what], args=[c.slug])) for c in communities],
        },
    )
