"""Meetings, action items, polls and reminders: their rules, and who may see and edit
what across companies."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from communities.tests.factories import CommunityFactory
from coordination import services
from coordination.models import ActionItem, ActionStatus, Meeting, PollAnswer, Side
from coordination.reminders import action_reminders_send, meeting_reminders_send
from governance.models import Feedback
from governance.tests.factories import OwnerFactory, owned_units, resolution_draft
from riders.models import AccessEvent
from riders.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db


def _meeting(community, *, days=-1, **kwargs):
    return services.meeting_schedule(
        community=community,
        title="Monthly coordination",
        scheduled_at=timezone.now() + dt.timedelta(days=days),
        place="Property office",
        acting_user=None,
        **kwargs,
    )


def _item(meeting, *, due_in=7, **kwargs):
    values = {
        "title": "Paint house numbers on buildings 3–7",
        "owner_name": "Property office",
        "owner_side": Side.STAFF,
        "due_on": timezone.localdate() + dt.timedelta(days=due_in),
    }
    values.update(kwargs)
    return services.action_item_create(meeting=meeting, acting_user=None, **values)


# --- meetings and action items -----------------------------------------------------------


def test_the_agenda_is_assembled_from_feedback_gate_figures_and_facility_ideas(community):
    Feedback.objects.create(
        community=community, sender="rider", category="parking", text="No e-bike space"
    )
    Feedback.objects.create(
        community=community, sender="owner", category="other", text="done", status="resolved"
    )
    resolution_draft(
        community,
        title="A food cabinet at the north gate",
        effect={"type": "facility", "kind": "food_cabinet", "name": "Cabinet"},
    )
    meeting = _meeting(community, days=3)
    assert "No e-bike space" in meeting.agenda
    assert "done" not in meeting.agenda  # resolved feedback is off the agenda
    assert "0 entry scans, 0 denied" in meeting.agenda
    assert "A food cabinet at the north gate" in meeting.agenda


def test_minutes_cannot_be_published_before_the_meeting_or_empty(community):
    future = _meeting(community, days=2)
    with pytest.raises(ValidationError):
        services.meeting_minutes_publish(meeting=future, acting_user=None)
    past = _meeting(community)
    with pytest.raises(ValidationError):
        services.meeting_minutes_publish(meeting=past, acting_user=None)
    services.meeting_update(meeting=past, agenda="", minutes="We agreed.", acting_user=None)
    services.meeting_minutes_publish(meeting=past, acting_user=None)
    assert past.minutes_published_at is not None


def test_dropping_a_decision_needs_a_reason_and_done_records_when(community):
    item = _item(_meeting(community))
    with pytest.raises(ValidationError):
        services.action_item_set_status(item=item, status=ActionStatus.DROPPED, acting_user=None)
    services.action_item_set_status(item=item, status=ActionStatus.DONE, acting_user=None)
    item.refresh_from_db()
    assert item.done_at is not None


def test_a_monthly_meeting_on_the_31st_recurs_on_the_months_last_day(community):
    year = timezone.localdate().year + 1  # a January 31st to come, whatever today is
    meeting = Meeting(
        community=community,
        scheduled_at=timezone.make_aware(dt.datetime(year, 1, 31, 19, 0)),
        recurrence=Meeting.Recurrence.MONTHLY,
    )
    february_last = calendar.monthrange(year, 2)[1]  # 28, or 29 in a leap year
    assert services.meeting_next_after(meeting).date() == dt.date(year, 2, february_last)
    meeting.recurrence = Meeting.Recurrence.NONE
    assert services.meeting_next_after(meeting) is None


def test_the_public_page_shows_published_minutes_and_open_items_only(
    client, community, django_assert_max_num_queries
):
    published = _meeting(community)
    services.meeting_update(
        meeting=published, agenda="", minutes="Parking bay agreed.", acting_user=None
    )
    services.meeting_minutes_publish(meeting=published, acting_user=None)
    _item(published, title="Build the e-bike bay")
    done = _item(published, title="Move the bins")
    services.action_item_set_status(item=done, status=ActionStatus.DONE, acting_user=None)
    draft = _meeting(community, days=-2)
    _item(draft, title="Secret draft decision")
    _meeting(community, days=10)  # the next meeting
    services.poll_create(
        community=community,
        audience="riders",
        question="A microwave at the rest station?",
        closes_at=timezone.now() + dt.timedelta(days=3),
        acting_user=None,
    )
    with django_assert_max_num_queries(6):
        response = client.get(reverse("coordination:agreed", args=[community.slug]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Parking bay agreed." in text
    assert text.count("Build the e-bike bay") == 2  # open list and the minutes
    assert text.count("Move the bins") == 1  # done: only in the minutes
    assert "Secret draft decision" not in text
    assert "Next meeting" in text
    assert "A microwave at the rest station?" in text  # open polls are listed


def test_the_friendliness_page_explains_each_component(client, community):
    response = client.get(reverse("coordination:friendliness", args=[community.slug]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Gates open to riders, and their hours" in text
    assert "Nothing to measure yet." in text  # decision time: no scans at all


def test_the_friendliness_page_shows_decision_times_or_says_not_measured(client, community, gate):

    url = reverse("coordination:friendliness", args=[community.slug])
    AccessEvent.objects.create(
        gate=gate, direction="in", decision="open", reason="ok", source="controller"
    )
    text = client.get(url).content.decode()
    assert "Not measured: no gate reported how long its decisions took." in text
    cache.clear()
    AccessEvent.objects.create(
        gate=gate, direction="in", decision="open", reason="ok", source="online", decision_ms=40
    )
    text = client.get(url).content.decode()
    assert "Median 40 ms, p90 40 ms (1 timed scans)." in text


def test_the_rules_page_links_to_what_was_agreed(client, community):
    response = client.get(reverse("communities:rules", args=[community.slug]))
    assert reverse("coordination:agreed", args=[community.slug]) in response.content.decode()


def test_public_pages_of_an_unknown_community_are_404(client):
    assert client.get(reverse("coordination:agreed", args=["nowhere"])).status_code == 404
    assert client.get(reverse("coordination:friendliness", args=["nowhere"])).status_code == 404


# --- staff pages and permissions ---------------------------------------------------------


def test_staff_schedule_a_meeting_and_record_a_decision(client, community, staff_user):
    client.force_login(staff_user)
    url = reverse("coordination:staff_community", args=[community.slug])
    response = client.post(
        url,
        {
            "schedule": "1",
            "title": "December coordination",
            "scheduled_at": (timezone.localtime() + dt.timedelta(days=5)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "place": "Office",
            "recurrence": "monthly",
        },
    )
    meeting = Meeting.objects.get(community=community)
    assert response.status_code == 302
    meeting_url = reverse("coordination:meeting", args=[community.slug, meeting.pk])
    client.post(
        meeting_url,
        {
            "action": "1",
            "title": "Open the east gate to riders at lunch",
            "owner_name": "Wang, property manager",
            "owner_side": "staff",
            "due_on": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
        },
    )
    client.post(meeting_url, {"participant": "1", "side": "office", "name": "Street office"})
    assert ActionItem.objects.get().community == community
    assert meeting.participants.get().side == "office"
    assert client.get(meeting_url).status_code == 200


def test_staff_of_another_company_get_404_everywhere(client, community, other_staff_user):
    meeting = _meeting(community)
    item = _item(meeting)
    poll = services.poll_create(
        community=community,
        audience="owners",
        question="A food cabinet?",
        closes_at=timezone.now() + dt.timedelta(days=7),
        acting_user=None,
    )
    client.force_login(other_staff_user)
    slug = community.slug
    gets = [
        reverse("coordination:staff_community", args=[slug]),
        reverse("coordination:meeting", args=[slug, meeting.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404
    posts = [
        (reverse("coordination:staff_community", args=[slug]), {"poll": "1"}),
        (reverse("coordination:meeting", args=[slug, meeting.pk]), {"publish": "1"}),
        (reverse("coordination:action_status", args=[slug, item.pk]), {"status": "done"}),
        (reverse("coordination:poll_attach", args=[slug, poll.pk]), {"resolution": "1"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    # Their own company's list does not show the community either.
    response = client.get(reverse("coordination:staff_index"))
    assert community.name not in response.content.decode()


def test_an_item_cannot_be_reached_through_another_communitys_slug(client, company, staff_user):
    mine = CommunityFactory(company=company)
    other = CommunityFactory(company=company)
    item = _item(_meeting(other))
    client.force_login(staff_user)
    url = reverse("coordination:action_status", args=[mine.slug, item.pk])
    assert client.post(url, {"status": "done"}).status_code == 404


def test_the_staff_ranking_lists_communities_by_latest_score(
    client, company, staff_user, django_assert_max_num_queries
):
    from communities.tests.factories import GateFactory

    low, high = (
        CommunityFactory(company=company, name="Low"),
        CommunityFactory(company=company, name="High"),
    )
    GateFactory(community=high)
    services.friendliness_snapshot_take(community=low)
    services.friendliness_snapshot_take(community=high)
    client.force_login(staff_user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("coordination:staff_index"))
    text = response.content.decode()
    assert text.index("High") < text.index("Low")


# --- polls -------------------------------------------------------------------------------


def _poll(community, audience="owners"):
    return services.poll_create(
        community=community,
        audience=audience,
        question="A food cabinet at the north gate?",
        closes_at=timezone.now() + dt.timedelta(days=7),
        acting_user=None,
    )


def test_owners_of_the_community_answer_once_and_may_change_their_answer(community):
    poll = _poll(community)
    owner, _units = owned_units(community, 1)
    services.poll_answer(poll=poll, owner=owner, choice="support")
    services.poll_answer(poll=poll, owner=owner, choice="oppose")
    assert PollAnswer.objects.get(poll=poll).choice == "oppose"
    with pytest.raises(ValidationError):
        services.poll_answer(poll=poll, owner=OwnerFactory(), choice="support")  # no unit here


def test_riders_poll_takes_riders_with_access_to_the_community_only(community, rider):
    poll = _poll(community, audience="riders")
    with pytest.raises(ValidationError):
        services.poll_answer(poll=poll, rider=rider, choice="support")
    AccessGrantFactory(community=community, rider=rider)
    services.poll_answer(poll=poll, rider=rider, choice="support")
    owner, _units = owned_units(community, 1)
    with pytest.raises(ValidationError):  # an owner cannot answer the riders' poll
        services.poll_answer(poll=poll, owner=owner, choice="support")


def test_a_closed_poll_takes_no_answer(community):
    poll = _poll(community)
    poll.closes_at = timezone.now() - dt.timedelta(minutes=1)
    poll.opens_at = poll.closes_at - dt.timedelta(days=1)
    owner, _units = owned_units(community, 1)
    with pytest.raises(ValidationError):
        services.poll_answer(poll=poll, owner=owner, choice="support")


def test_a_poll_attaches_to_a_resolution_of_its_own_community_only(community, company):
    poll = _poll(community)
    elsewhere = resolution_draft(CommunityFactory(company=company))
    with pytest.raises(ValidationError):
        services.poll_attach_resolution(poll=poll, resolution=elsewhere, acting_user=None)
    here = resolution_draft(community)
    services.poll_attach_resolution(poll=poll, resolution=here, acting_user=None)
    assert poll.resolution == here


def test_an_owner_answers_on_the_poll_page(client, community, owner):
    poll = _poll(community)
    client.force_login(owner.user)
    url = reverse("coordination:poll", args=[poll.pk])
    assert client.post(url, {"choice": "support"}).status_code == 302
    assert PollAnswer.objects.get(poll=poll).owner == owner
    assert client.get(url).status_code == 200


def test_an_anonymous_post_to_a_poll_is_404(client, community):
    poll = _poll(community)
    url = reverse("coordination:poll", args=[poll.pk])
    assert client.post(url, {"choice": "support"}).status_code == 404
    assert not PollAnswer.objects.exists()


# --- reminders ---------------------------------------------------------------------------


def test_a_meeting_is_announced_once_to_staff_participants_and_owners(
    community, staff_user, capsys
):
    staff_user.email = "staff@example.com"
    staff_user.save()
    meeting = _meeting(community, days=1)
    services.participant_add(
        meeting=meeting,
        side="office",
        name="Street office",
        email="office@example.com",
        acting_user=None,
    )
    owned_units(community, 1)
    told = meeting_reminders_send()
    assert told == 3  # one e-mail to two addresses, one owner through the notifier
    assert sorted(mail.outbox[0].to) == ["office@example.com", "staff@example.com"]
    assert meeting_reminders_send() == 0


def test_due_action_items_are_reminded_once_a_day_and_done_ones_never(community, staff_user):
    staff_user.email = "staff@example.com"
    staff_user.save()
    meeting = _meeting(community)
    _item(meeting, due_in=-1, owner_email="owner@example.com")  # overdue
    _item(meeting, due_in=30)  # not due yet
    done = _item(meeting, due_in=0)
    services.action_item_set_status(item=done, status=ActionStatus.DONE, acting_user=None)
    assert action_reminders_send() == 2
    assert "OVERDUE" in mail.outbox[0].subject
    assert action_reminders_send() == 0


def test_the_staff_ranking_filters_by_city_and_district_exactly(client, company, staff_user):
    CommunityFactory(company=company, name="Jingan Court", city="上海市", district="静安区")
    CommunityFactory(company=company, name="Xuhui Court", city="上海市", district="徐汇区")
    # Only the fields count now, not the address text.
    CommunityFactory(company=company, name="Address Only", address="上海市静安区 3 号")
    client.force_login(staff_user)
    url = reverse("coordination:staff_index")
    text = client.get(url, {"district": "静安区"}).content.decode()
    assert "Jingan Court" in text
    assert "Xuhui Court" not in text
    assert "Address Only" not in text
    text = client.get(url, {"city": "上海市"}).content.decode()
    assert "Jingan Court" in text and "Xuhui Court" in text
    assert "Address Only" not in text
    # The filter offers the districts of the staff member's own communities.
    assert '<option value="徐汇区"' in text


def test_a_meetings_open_decisions_are_not_multiplied_by_its_participants(community):
    from coordination.selectors import meetings_for_staff

    meeting = _meeting(community)
    for side in ("staff", "owners", "riders", "office"):
        services.participant_add(meeting=meeting, side=side, name=side, acting_user=None)
    _item(meeting)
    _item(meeting)
    row = meetings_for_staff(community).get()
    assert (row.open_actions, row.participant_count) == (2, 4)


def test_denials_are_worded_for_people_on_the_friendliness_page(client, community, gate):

    AccessEvent.objects.create(
        gate=gate, direction="in", decision="deny", reason="expired", source="controller"
    )
    text = client.get(reverse("coordination:friendliness", args=[community.slug])).content
    assert "Pass expired: 1" in text.decode()


def test_the_staff_page_draws_the_index_trend(client, community, staff_user):
    from coordination.models import FriendlinessSnapshot

    today = timezone.localdate()
    for days, score in ((2, 40), (1, None), (0, 70)):
        FriendlinessSnapshot.objects.create(
            community=community,
            day=today - dt.timedelta(days=days),
            score=score,
            computed_at=timezone.now(),
        )
    client.force_login(staff_user)
    text = client.get(reverse("coordination:staff_community", args=[community.slug])).content
    text = text.decode()
    assert 'class="trend-chart"' in text
    assert text.count("<circle") == 2  # the day without a score breaks the line


def test_staff_pages_keep_their_query_counts_with_many_meetings_items_and_polls(
    client, community, staff_user, django_assert_max_num_queries
):
    meetings = [_meeting(community, days=-i) for i in range(1, 6)]
    for meeting in meetings:
        for side in ("staff", "owners", "riders", "office"):
            services.participant_add(meeting=meeting, side=side, name=side, acting_user=None)
        for _ in range(3):
            _item(meeting)
    for _ in range(4):
        _poll(community)
    client.force_login(staff_user)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("coordination:staff_community", args=[community.slug]))
    assert page.status_code == 200
    with django_assert_max_num_queries(12):
        page = client.get(reverse("coordination:meeting", args=[community.slug, meetings[0].pk]))
    assert page.status_code == 200
    poll = _poll(community)
    with django_assert_max_num_queries(7):
        page = client.get(reverse("coordination:poll", args=[poll.pk]))
    assert page.status_code == 200


def test_the_friendliness_page_takes_eight_queries_cold_and_one_warm(
    client, community, gate, django_assert_max_num_queries, django_assert_num_queries
):
    url = reverse("coordination:friendliness", args=[community.slug])
    with django_assert_num_queries(8):  # the community, the index (seven queries)
        assert client.get(url).status_code == 200
    with django_assert_num_queries(1):  # the community; the index comes from the cache
        assert client.get(url).status_code == 200


def test_bad_input_on_staff_forms_is_refused_without_an_error_page(client, community, staff_user):
    poll = _poll(community)
    item = _item(_meeting(community))
    client.force_login(staff_user)
    slug = community.slug
    attach = reverse("coordination:poll_attach", args=[slug, poll.pk])
    assert client.post(attach, {"resolution": "9" * 30}).status_code == 302
    assert client.post(attach, {"resolution": "x"}).status_code == 302
    status = reverse("coordination:action_status", args=[slug, item.pk])
    assert client.post(status, {"status": "bogus"}).status_code == 302
    page = reverse("coordination:staff_community", args=[slug])
    response = client.post(page, {"schedule": "1", "title": "", "scheduled_at": "not a date"})
    assert response.status_code == 200
    poll.refresh_from_db()
    item.refresh_from_db()
    assert (poll.resolution_id, item.status) == (None, ActionStatus.OPEN)


def test_riders_are_invited_to_their_communities_next_meeting_on_their_pass_page(
    client, community, company, django_assert_max_num_queries
):
    """Riders are one of the four sides: the pass page names the next meeting of each
    community they hold a pass for (within 30 days), and no other community's."""
    from django.conf import settings

    from riders.models import GrantStatus
    from riders.services.devices import device_issue
    from riders.tests.factories import RiderFactory

    rider = RiderFactory()
    AccessGrantFactory(rider=rider, community=community, status=GrantStatus.ACTIVE)
    _meeting(community, days=-3)  # held already
    _meeting(community, days=5)
    _meeting(community, days=12)  # not the next one
    other = CommunityFactory(company=company, name="Elsewhere Court")
    _meeting(other, days=2)
    client.cookies[settings.RIDERS_DEVICE_COOKIE] = device_issue(rider=rider)
    html = client.get(reverse("riders:pass"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You are invited" in html
    assert html.count(f"{community.name} · Monthly coordination") == 1
    assert "Elsewhere Court" not in html
    assert reverse("coordination:agreed", args=[community.slug]) in html
