"""Owners' and staff's vote pages: who sees what, casting through the form, figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.tests.factories import CommunityFactory
from governance import services
from governance.models import Ballot, Choice, ResolutionState

from .factories import (
    owners_each_one_unit,
    resolution_draft,
    resolution_opened,
    votes_cast,
)


def _local_minute(*, days: int) -> str:
    """A datetime-local form value `days` from now (never a calendar date: it would pass)."""
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, owner):
    client.login(username="owner.wang", password="pw-owner-123")
    return client


def test_owner_pages_need_a_log_in(client):
    response = client.get(reverse("governance:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("governance:login"))


def test_owner_logs_in_with_user_name_and_password(client, owner):
    response = client.post(
        reverse("governance:login"), {"username": "owner.wang", "password": "pw-owner-123"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("governance:index")


def test_index_lists_open_upcoming_and_past_in_few_queries(
    owner_client, community, django_assert_max_num_queries
):
    owners_each_one_unit(community, 2)
    open_one = resolution_opened(community, title="Food cabinet at the north gate")
    past = resolution_opened(community, title="Speed limit 10 km/h")
    services.resolution_close(resolution=past, acting_user=None)
    resolution_draft(community, title="Secret draft")
    with django_assert_max_num_queries(8):
        response = owner_client.get(reverse("governance:index"))
    body = response.content.decode()
    assert "Food cabinet at the north gate" in body and "Speed limit 10 km/h" in body
    assert "Secret draft" not in body
    assert response.context["groups"]["open"] == [open_one]
    assert response.context["groups"]["past"] == [past]


def test_an_owner_votes_through_the_form_and_sees_the_receipt(owner_client, owner, community):
    owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    url = reverse("governance:cast", args=[resolution.pk])
    response = owner_client.post(url, {"choice": "for"}, follow=True)
    ballot = Ballot.objects.get(resolution=resolution)
    assert ballot.choice == Choice.FOR
    body = response.content.decode()
    assert ballot.receipt in body
    assert "<progress" in body and "1 of 3 owners" in body


def test_a_bad_choice_is_a_message_not_a_500(owner_client, community, owner):
    resolution = resolution_opened(community)
    response = owner_client.post(
        reverse("governance:cast", args=[resolution.pk]), {"choice": "maybe"}, follow=True
    )
    assert response.status_code == 200
    assert "Choose for, against or abstain." in response.content.decode()
    assert not Ballot.objects.exists()


def test_a_closed_vote_refuses_with_a_message(owner_client, community, owner):
    resolution = resolution_opened(community)
    services.resolution_close(resolution=resolution, acting_user=None)
    response = owner_client.post(
        reverse("governance:cast", args=[resolution.pk]), {"choice": "for"}, follow=True
    )
    assert "Voting on this resolution is closed." in response.content.decode()


def test_an_owner_of_another_community_gets_404(owner_client, other_company):
    elsewhere = CommunityFactory(company=other_company, slug="far-away")
    owners_each_one_unit(elsewhere, 2)
    resolution = resolution_opened(elsewhere)
    assert owner_client.get(reverse("governance:detail", args=[resolution.pk])).status_code == 404
    response = owner_client.post(
        reverse("governance:cast", args=[resolution.pk]), {"choice": "for"}
    )
    assert response.status_code == 404
    assert not Ballot.objects.exists()


def test_participation_json_follows_the_ballots(owner_client, owner, community):
    others = owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    url = reverse("governance:participation", args=[resolution.pk])
    assert owner_client.get(url).json()["bars"][1]["value"] == 0
    votes_cast(resolution, others, Choice.ABSTAIN)
    data = owner_client.get(url).json()
    assert data["bars"][1] == {
        "value": 2,
        "max": 3,
        "met": True,
        "percent": "66.7",
        "text": data["bars"][1]["text"],
    }


def test_the_result_page_shows_figures_and_rule_but_no_names(client, community, owner):
    others = owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    votes_cast(resolution, [owner, *others], Choice.FOR)
    url = reverse("governance:result", args=[resolution.pk])
    assert client.get(url).status_code == 404  # no result while voting
    services.resolution_close(resolution=resolution, acting_user=None)
    body = client.get(url).content.decode()
    assert "Civil Code Art. 278" in body
    assert "passed" in body
    assert "300.00" in body  # total area
    assert "Wang Fang" not in body and owner.phone not in body
    for ballot in Ballot.objects.all():
        assert ballot.receipt in body


def test_staff_see_their_communitys_votes_and_not_others(
    client, community, staff_user, other_staff_user, django_assert_max_num_queries
):
    owners = owners_each_one_unit(community, 3)
    resolution = resolution_opened(community)
    votes_cast(resolution, owners[:2], Choice.FOR)
    client.force_login(staff_user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("governance:staff_list", args=[community.slug]))
    assert resolution.title in response.content.decode()
    detail = client.get(reverse("governance:staff_detail", args=[community.slug, resolution.pk]))
    assert "2 of 3 owners" in detail.content.decode()
    client.force_login(other_staff_user)
    assert client.get(reverse("governance:staff_list", args=[community.slug])).status_code == 404
    assert (
        client.get(
            reverse("governance:staff_detail", args=[community.slug, resolution.pk])
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("governance:staff_close", args=[community.slug, resolution.pk])
        ).status_code
        == 404
    )


def test_staff_create_open_and_close_a_resolution(client, community, staff_user):
    owners = owners_each_one_unit(community, 3)
    client.force_login(staff_user)
    response = client.post(
        reverse("governance:staff_list", args=[community.slug]),
        {
            "title": "Riders stop at the gate",
            "text": "Riders hand food over at the north gate.",
            "matter": "ordinary",
            "effect_type": "entry_policy",
            "policy": "no_entry",
            "handoff_point": "North gate cabinets",
            "allow_vote_change": "on",
            "opens_at": _local_minute(days=-1),
            "closes_at": _local_minute(days=30),
        },
    )
    assert response.status_code == 302
    resolution = community.resolutions.get()
    assert resolution.effect == {
        "type": "entry_policy",
        "policy": "no_entry",
        "handoff_point": "North gate cabinets",
    }
    client.post(reverse("governance:staff_open", args=[community.slug, resolution.pk]))
    resolution.refresh_from_db()
    assert resolution.state == ResolutionState.OPEN
    votes_cast(resolution, owners, Choice.FOR)
    client.post(reverse("governance:staff_close", args=[community.slug, resolution.pk]))
    resolution.refresh_from_db()
    assert resolution.state == ResolutionState.PASSED_PENDING
    detail = client.get(reverse("governance:staff_detail", args=[community.slug, resolution.pk]))
    assert 'value="North gate cabinets"' in detail.content.decode()  # pre-filled
    client.post(
        reverse("governance:staff_handoff", args=[community.slug, resolution.pk]),
        {"handoff_point": "North gate cabinets"},
    )
    resolution.refresh_from_db()
    assert resolution.state == ResolutionState.PASSED
    rules_page = client.get(reverse("communities:rules", args=[community.slug]))
    assert "North gate cabinets" in rules_page.content.decode()


def test_staff_form_errors_are_shown_not_raised(client, community, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("governance:staff_list", args=[community.slug]),
        {
            "title": "x",
            "text": "y",
            "matter": "ordinary",
            "effect_type": "facility",
            "opens_at": _local_minute(days=-1),
            "closes_at": _local_minute(days=30),
        },
    )
    assert response.status_code == 200
    assert "Choose the kind of facility." in response.content.decode()


def test_blockers_are_shown_to_staff(client, community, staff_user):
    resolution = resolution_draft(community, text="")
    client.force_login(staff_user)
    body = client.get(
        reverse("governance:staff_detail", args=[community.slug, resolution.pk])
    ).content.decode()
    assert "no text for the owners" in body
    assert "import the owners" in body


def test_ballots_csv_has_units_areas_choices_and_no_names(client, community, staff_user, owner):
    others = owners_each_one_unit(community, 1)
    resolution = resolution_opened(community)
    votes_cast(resolution, [owner], Choice.FOR)
    votes_cast(resolution, others, Choice.AGAINST)
    client.force_login(staff_user)
    response = client.get(reverse("governance:ballots_csv", args=[community.slug, resolution.pk]))
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "units,area_m2,choice,cast_at,updated_at,receipt"
    assert len(lines) == 3
    assert "100.00,for" in text and "100.00,against" in text
    assert "Wang Fang" not in text


def test_passed_pending_is_told_to_staff_and_fixed_on_the_page(client, community, staff_user):
    owners = owners_each_one_unit(community, 3)
    resolution = resolution_opened(community, effect={"type": "entry_policy", "policy": "no_entry"})
    votes_cast(resolution, owners, Choice.FOR)
    services.resolution_close(resolution=resolution, acting_user=None)
    client.force_login(staff_user)
    body = client.get(reverse("governance:staff_list", args=[community.slug])).content.decode()
    assert "hand-off rules are needed" in body
    client.post(
        reverse("governance:staff_handoff", args=[community.slug, resolution.pk]),
        {"handoff_point": "Lobby shelf"},
    )
    resolution.refresh_from_db()
    assert resolution.state == ResolutionState.PASSED


def test_admin_lists_owners_and_read_only_resolutions(client, superuser, community):
    owners_each_one_unit(community, 2)
    resolution_opened(community)
    client.force_login(superuser)
    for name in ("owner", "resolution", "ballot", "ballotlog", "feedback", "notice"):
        assert client.get(f"/admin/governance/{name}/").status_code == 200
    assert client.get("/admin/governance/resolution/add/").status_code == 403


def test_result_and_detail_pages_do_not_grow_queries_with_the_roll(
    client, owner_client, owner, community, django_assert_max_num_queries
):
    others = owners_each_one_unit(community, 30)
    resolution = resolution_opened(community)
    votes_cast(resolution, [owner, *others], Choice.FOR)
    with django_assert_max_num_queries(12):
        owner_client.get(reverse("governance:detail", args=[resolution.pk]))
    services.resolution_close(resolution=resolution, acting_user=None)
    client.logout()  # the result page is public
    with django_assert_max_num_queries(6):
        response = client.get(reverse("governance:result", args=[resolution.pk]))
    assert response.content.decode().count("<code>") == 31


def test_the_owner_list_masks_phones_and_one_owners_page_shows_the_number(
    client, superuser, community
):
    from governance.tests.factories import OwnerFactory

    owner = OwnerFactory(name="Han Mei", phone="13912345678")
    client.force_login(superuser)
    listing = client.get("/admin/governance/owner/").content.decode()
    assert "139****5678" in listing and "13912345678" not in listing
    # Searching by the full number still finds the owner.
    found = client.get("/admin/governance/owner/", {"q": "13912345678"}).content.decode()
    assert "Han Mei" in found
    page = client.get(f"/admin/governance/owner/{owner.pk}/change/").content.decode()
    assert "13912345678" in page


def test_an_upcoming_resolution_reads_upcoming_everywhere(owner_client, community):
    import datetime as dt

    from django.utils import timezone

    owners_each_one_unit(community, 2)
    soon = timezone.now() + dt.timedelta(days=2)
    upcoming = resolution_opened(community, opens_at=soon, closes_at=soon + dt.timedelta(days=5))
    index = owner_client.get(reverse("governance:index")).content.decode()
    detail = owner_client.get(reverse("governance:detail", args=[upcoming.pk])).content.decode()
    for body in (index, detail):
        assert "upcoming" in body
        assert "open for voting" not in body


def test_a_closed_resolution_shows_when_it_actually_closed(owner_client, community):
    import datetime as dt

    from django.utils import timezone

    owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)  # planned to close in 7 days
    early = timezone.now() - dt.timedelta(hours=1)
    services.resolution_close(resolution=resolution, acting_user=None, now=early)
    local = timezone.localtime(early).strftime("%Y-%m-%d %H:%M")
    planned = timezone.localtime(resolution.closes_at).strftime("%Y-%m-%d %H:%M")
    index = owner_client.get(reverse("governance:index")).content.decode()
    detail = owner_client.get(reverse("governance:detail", args=[resolution.pk])).content.decode()
    for body in (index, detail):
        assert f"closed {local}" in body
        assert planned not in body


def test_changing_a_vote_asks_for_confirmation_and_says_a_new_receipt_is_issued(
    owner_client, owner, community
):
    owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    url = reverse("governance:cast", args=[resolution.pk])
    owner_client.post(url, {"choice": "for"})
    first = Ballot.objects.get(resolution=resolution)
    asked = owner_client.post(url, {"choice": "against"})
    assert asked.status_code == 200
    body = asked.content.decode()
    assert "Change your vote?" in body and "A new receipt code is issued" in body
    assert first.receipt in body
    assert Ballot.objects.get(resolution=resolution).choice == Choice.FOR  # not yet
    owner_client.post(url, {"choice": "against", "confirmed": "1"})
    changed = Ballot.objects.get(resolution=resolution)
    assert changed.choice == Choice.AGAINST and changed.receipt != first.receipt
    # The same choice again is no change: no question asked.
    again = owner_client.post(url, {"choice": "against"})
    assert again.status_code == 302


def test_the_history_shows_state_names_in_the_readers_language(client, community, staff_user):
    from django.utils import translation

    owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    client.force_login(staff_user)
    url = reverse("governance:staff_detail", args=[community.slug, resolution.pk])
    body = client.get(url).content.decode()
    assert "draft → open for voting" in body and "roll of 2 voters frozen" in body
    with translation.override("zh-hans"):
        client.cookies["django_language"] = "zh-hans"
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "draft → open" not in body
    assert "名投票人" in body or "冻结" in body


def test_while_hand_off_rules_are_needed_the_rules_and_gate_pages_say_so(
    client, community, django_assert_max_num_queries
):
    from communities.tests.factories import GateFactory

    owners = owners_each_one_unit(community, 3)
    resolution = resolution_opened(community, effect={"type": "entry_policy", "policy": "no_entry"})
    votes_cast(resolution, owners, Choice.FOR)
    rules_url = reverse("communities:rules", args=[community.slug])
    client.get(rules_url)  # cached before the decision
    resolution = services.resolution_close(resolution=resolution, acting_user=None)
    assert resolution.state == ResolutionState.PASSED_PENDING
    with django_assert_max_num_queries(8):
        page = client.get(rules_url).content.decode()
    said = f"The owners have decided (resolution #{resolution.number})"
    assert said in page and "publishes the hand-off point" in page
    gate = GateFactory(community=community, open_to_riders=True)
    welcome = client.get(reverse("riders:register", args=[gate.entry_code])).content.decode()
    assert said in welcome
    services.resolution_handoff_set(
        resolution=resolution, handoff_point="North gate shelf", acting_user=None
    )
    assert said not in client.get(rules_url).content.decode()
    assert (
        said not in client.get(reverse("riders:register", args=[gate.entry_code])).content.decode()
    )


def test_the_result_page_is_short_with_a_receipt_finder_pages_and_full_csv_lists(
    client, community, django_assert_max_num_queries
):
    from communities.models import Building

    owners = owners_each_one_unit(community, 120)
    # A house number a spreadsheet would run as a formula (the label starts with it).
    Building.objects.filter(units__ownerships__owner=owners[0]).update(number="=1+1")
    resolution = resolution_opened(community)
    votes_cast(resolution, owners, Choice.FOR)
    services.resolution_close(resolution=resolution, acting_user=None)
    url = reverse("governance:result", args=[resolution.pk])
    with django_assert_max_num_queries(5):
        body = client.get(url).content.decode()
    assert body.count("<code>") == 50  # one page of receipts, not 120
    assert "Page 1 of 3" in body
    assert body.index("outcome") < body.index("h-units")  # the summary comes first
    mine = Ballot.objects.filter(resolution=resolution).order_by("-receipt").first()
    found = client.get(url, {"receipt": mine.receipt.lower()}).content.decode()
    assert f"Receipt {mine.receipt} was counted: For." in found
    assert (
        "No ballot has the receipt code NOPE"
        in client.get(url, {"receipt": "nope"}).content.decode()
    )
    last = client.get(url, {"receipts": 3}).content.decode()
    assert last.count("<code>") == 20 and mine.receipt in last

    def csv_rows(which):
        response = client.get(reverse("governance:result_csv", args=[resolution.pk, which]))
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return text.splitlines()

    receipts = csv_rows("receipts")
    assert len(receipts) == 121 and f"{mine.receipt},For" in receipts
    units = csv_rows("units")
    assert len(units) == 121
    assert not any(line.startswith("=") for line in units)
    assert any(line.startswith("'=") or line.startswith("\"'=") for line in units)
    missing = client.get(reverse("governance:result_csv", args=[resolution.pk, "names"]))
    assert missing.status_code == 404
