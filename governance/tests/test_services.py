"""Resolution life cycle: blockers, opening, casting, closing, effects, logs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from communities.models import DeliveryFacility, EntryPolicy, ParkingZone
from communities.services import rules_current
from core.i18n_text import both, localized
from core.models import AuditEntry
from governance import services
from governance.models import (
    AppendOnlyError,
    Ballot,
    BallotLog,
    Choice,
    Matter,
    ResolutionEvent,
    ResolutionState,
    RollEntry,
    RulesDecision,
)
from governance.services.feedback import notice_publish

from .factories import (
    OwnerFactory,
    owned_units,
    owners_each_one_unit,
    resolution_draft,
    resolution_opened,
    votes_cast,
)

pytestmark = pytest.mark.django_db

NO_ENTRY = {"type": "entry_policy", "policy": "no_entry", "handoff_point": "North gate shelf"}


def test_numbers_count_up_per_community(community):
    first, second = resolution_draft(community), resolution_draft(community)
    assert (first.number, second.number) == (1, 2)
    assert AuditEntry.objects.filter(action="resolution_create").count() == 2


def test_open_blockers_name_every_missing_piece(community):
    resolution = resolution_draft(
        community, text=" ", opens_at=None, closes_at=None, effect={"type": "none"}
    )
    resolution.effect = {"type": "facility", "kind": "swimming_pool", "name": ""}
    blockers = services.resolution_open_blockers(resolution)
    text = " ".join(blockers)
    assert "no text" in text
    assert "voting window" in text
    assert "facility kind" in text
    assert "import the owners' roll" in text
    with pytest.raises(ValidationError):
        services.resolution_open(resolution=resolution, acting_user=None)


def test_a_window_in_the_past_blocks_opening(community):
    owners_each_one_unit(community, 1)
    now = timezone.now()
    resolution = resolution_draft(
        community, opens_at=now - dt.timedelta(days=2), closes_at=now - dt.timedelta(days=1)
    )
    assert any("already ended" in b for b in services.resolution_open_blockers(resolution))


def test_create_refuses_an_effect_that_cannot_apply(community):
    with pytest.raises(ValidationError) as info:
        resolution_draft(community, effect={"type": "entry_policy", "policy": "maybe"})
    assert "entry policy" in str(info.value)


def test_opening_freezes_the_roll_and_logs_the_event(community, staff_user):
    owners_each_one_unit(community, 3)
    resolution = services.resolution_open(
        resolution=resolution_draft(community), acting_user=staff_user
    )
    assert resolution.state == ResolutionState.OPEN
    assert RollEntry.objects.filter(resolution=resolution).count() == 3
    event = ResolutionEvent.objects.filter(resolution=resolution).last()
    assert (event.from_state, event.to_state, event.actor) == ("draft", "open", staff_user)
    assert AuditEntry.objects.filter(action="resolution_open", actor=staff_user).exists()


def test_a_double_click_makes_one_ballot_and_one_log_row(community):
    (owner,) = owners_each_one_unit(community, 1)
    resolution = resolution_opened(community)
    first = services.ballot_cast(
        resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None
    )
    again = services.ballot_cast(
        resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None
    )
    assert first.pk == again.pk and first.receipt == again.receipt
    assert Ballot.objects.count() == 1
    assert BallotLog.objects.count() == 1


def test_changing_a_vote_keeps_one_ballot_with_a_new_receipt_and_logs_both(community):
    (owner,) = owners_each_one_unit(community, 1)
    resolution = resolution_opened(community)
    first = services.ballot_cast(
        resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None
    )
    receipt = first.receipt
    changed = services.ballot_cast(
        resolution=resolution, owner=owner, choice=Choice.AGAINST, acting_user=None
    )
    assert Ballot.objects.get().choice == Choice.AGAINST
    assert changed.receipt != receipt
    log = list(BallotLog.objects.values_list("choice", "previous_choice"))
    assert log == [("for", ""), ("against", "for")]


def test_a_vote_cannot_change_when_the_resolution_says_so(community):
    (owner,) = owners_each_one_unit(community, 1)
    resolution = resolution_opened(community, allow_vote_change=False)
    services.ballot_cast(resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None)
    with pytest.raises(ValidationError, match="does not allow changes"):
        services.ballot_cast(
            resolution=resolution, owner=owner, choice=Choice.AGAINST, acting_user=None
        )
    assert Ballot.objects.get().choice == Choice.FOR


def test_ballots_are_refused_before_opening_and_after_closing(community):
    (owner,) = owners_each_one_unit(community, 1)
    now = timezone.now()
    later = resolution_opened(
        community, opens_at=now + dt.timedelta(days=1), closes_at=now + dt.timedelta(days=2)
    )
    with pytest.raises(ValidationError, match="not opened yet"):
        services.ballot_cast(resolution=later, owner=owner, choice=Choice.FOR, acting_user=None)
    resolution = resolution_opened(community)
    services.resolution_close(resolution=resolution, acting_user=None)
    with pytest.raises(ValidationError, match="closed"):
        services.ballot_cast(
            resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None
        )


def test_an_unknown_choice_is_a_clear_error(community):
    (owner,) = owners_each_one_unit(community, 1)
    resolution = resolution_opened(community)
    with pytest.raises(ValidationError, match="for, against or abstain"):
        services.ballot_cast(resolution=resolution, owner=owner, choice="yes", acting_user=None)


def test_an_owner_in_two_holder_groups_chooses_which(community):
    owner, _ = owned_units(community, 1)
    partner = OwnerFactory()
    _, (joint,) = owned_units(community, 1)
    joint.ownerships.all().delete()
    services.ownership_add(unit=joint, owner=owner, acting_user=None)
    services.ownership_add(unit=joint, owner=partner, acting_user=None)
    resolution = resolution_opened(community)
    with pytest.raises(ValidationError, match="more than one group"):
        services.ballot_cast(
            resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None
        )
    for entry in RollEntry.objects.filter(resolution=resolution, members__owner=owner):
        services.ballot_cast(
            resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None, voter=entry
        )
    assert Ballot.objects.filter(resolution=resolution).count() == 2


def test_closing_stores_the_figures_and_a_second_close_changes_nothing(community):
    owners = owners_each_one_unit(community, 3)
    resolution = resolution_opened(community)
    votes_cast(resolution, owners, Choice.AGAINST)
    closed = services.resolution_close(resolution=resolution, acting_user=None)
    assert closed.state == ResolutionState.FAILED
    assert closed.result["against_voters"] == 3 and closed.result["passed"] is False
    again = services.resolution_close(resolution=resolution, acting_user=None)
    assert again.closed_at == closed.closed_at
    states = list(ResolutionEvent.objects.values_list("to_state", flat=True))
    assert states == ["draft", "open", "closed", "failed"]


def test_the_beat_closes_only_resolutions_whose_window_ended(community):
    owners_each_one_unit(community, 1)
    due = resolution_opened(community)
    running = resolution_opened(community, closes_at=timezone.now() + dt.timedelta(days=30))
    closed = services.resolutions_close_due(now=timezone.now() + dt.timedelta(days=8))
    assert closed == [due.pk]
    running.refresh_from_db()
    assert running.state == ResolutionState.OPEN


def test_each_no_entry_resolution_waits_for_staff_to_confirm_its_hand_off_point(
    community, staff_user
):
    from governance.effects import handoff_suggestion

    owners = owners_each_one_unit(community, 3)
    before = rules_current(community)
    resolution = resolution_opened(community, effect=NO_ENTRY)
    votes_cast(resolution, owners, Choice.FOR)
    resolution = services.resolution_close(resolution=resolution, acting_user=staff_user)
    # Even with a point in the effect: nothing takes effect until staff confirm it.
    assert resolution.state == ResolutionState.PASSED_PENDING
    assert rules_current(community) == before
    assert handoff_suggestion(resolution) == "North gate shelf"
    services.resolution_handoff_set(
        resolution=resolution, handoff_point="North gate shelf", acting_user=staff_user
    )
    rules = rules_current(community)
    assert rules.entry_policy == EntryPolicy.NO_ENTRY
    assert rules.handoff_point == "North gate shelf"
    assert RulesDecision.objects.get(rules=rules).resolution == resolution
    resolution.refresh_from_db()
    assert resolution.state == ResolutionState.PASSED


def test_no_entry_without_a_hand_off_point_waits_for_staff(
    community, staff_user, mailoutbox, django_capture_on_commit_callbacks
):
    staff_user.email = "manager@green-leaf.example"
    staff_user.save()
    owners = owners_each_one_unit(community, 3)
    before = rules_current(community)
    resolution = resolution_opened(community, effect={"type": "entry_policy", "policy": "no_entry"})
    votes_cast(resolution, owners, Choice.FOR)
    with django_capture_on_commit_callbacks(execute=True):
        resolution = services.resolution_close(resolution=resolution, acting_user=None)
    assert resolution.state == ResolutionState.PASSED_PENDING
    assert "hand-off point" in resolution.staff_message
    assert [m.to for m in mailoutbox] == [["manager@green-leaf.example"]]
    assert "needs a hand-off point" in mailoutbox[0].subject
    assert rules_current(community) == before  # nothing published yet
    with pytest.raises(ValidationError):
        services.resolution_handoff_set(
            resolution=resolution, handoff_point=" ", acting_user=staff_user
        )
    services.resolution_handoff_set(
        resolution=resolution, handoff_point="Cabinets at the east gate", acting_user=staff_user
    )
    resolution.refresh_from_db()
    assert resolution.state == ResolutionState.PASSED
    rules = rules_current(community)
    assert (rules.entry_policy, rules.handoff_point) == ("no_entry", "Cabinets at the east gate")
    assert RulesDecision.objects.get(rules=rules).resolution == resolution


def test_no_entry_suspends_riders_active_grants(community):
    from riders.models import GrantStatus, Platform, Rider
    from riders.tests.factories import AccessGrantFactory

    platform = Platform.objects.create(code="meituan", name="Meituan")
    rider = Rider.objects.create(platform=platform, platform_rider_id="r1", name="Li Lei")
    grant = AccessGrantFactory(rider=rider, community=community, source="platform")
    owners = owners_each_one_unit(community, 3)
    resolution = resolution_opened(community, effect=NO_ENTRY)
    votes_cast(resolution, owners, Choice.FOR)
    services.resolution_close(resolution=resolution, acting_user=None)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE  # not before the hand-off point is confirmed
    services.resolution_handoff_set(
        resolution=resolution, handoff_point="North gate shelf", acting_user=None
    )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.SUSPENDED
    assert grant.reason == f"resolution #{resolution.number}"


def test_an_approved_cabinet_is_created_as_planned(community):
    owners = owners_each_one_unit(community, 3)
    effect = {
        "type": "facility",
        "kind": "food_cabinet",
        "name": "North cabinet",
        "x_pct": 40,
        "y_pct": 60,
    }
    resolution = resolution_opened(community, effect=effect, matter=Matter.MAJOR)
    votes_cast(resolution, owners, Choice.FOR)
    services.resolution_close(resolution=resolution, acting_user=None)
    cabinet = DeliveryFacility.objects.get(community=community, name="North cabinet")
    assert cabinet.status == DeliveryFacility.Status.PLANNED
    assert str(cabinet.x_pct) == "40.00"


def test_an_approved_parking_zone_says_planned_in_its_notes(community):
    owners = owners_each_one_unit(community, 3)
    effect = {"type": "facility", "kind": "parking_zone", "name": "E-bike bay"}
    resolution = resolution_opened(community, effect=effect)
    votes_cast(resolution, owners, Choice.FOR)
    services.resolution_close(resolution=resolution, acting_user=None)
    zone = ParkingZone.objects.get(community=community, name="E-bike bay")
    # Stored as a code and the resolution's number, translated when shown.
    assert (zone.notes, zone.notes_code) == ("", "governance.planned")
    assert zone.notes_params == {"number": resolution.number}
    english = f"Planned: approved by owners' resolution #{resolution.number}."
    with translation.override("en"):
        assert localized(zone, "notes").text == english
    with translation.override("zh-hans"):
        assert localized(zone, "notes").text == f"已规划：经业主决议第 {resolution.number} 号批准。"
    assert both(zone, "notes")["en"] == english


def test_the_rules_page_shows_a_planned_note_in_the_pages_language(client, community):
    owners = owners_each_one_unit(community, 3)
    effect = {"type": "facility", "kind": "food_cabinet", "name": "East cabinet"}
    resolution = resolution_opened(community, effect=effect)
    votes_cast(resolution, owners, Choice.FOR)
    services.resolution_close(resolution=resolution, acting_user=None)
    url = f"/c/{community.slug}/"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"approved by owners&#x27; resolution #{resolution.number}." in english
    assert "已规划" not in english
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"已规划：经业主决议第 {resolution.number} 号批准。" in chinese


def test_a_failed_resolution_changes_nothing(community):
    owners = owners_each_one_unit(community, 3)
    before = rules_current(community)
    resolution = resolution_opened(community, effect=NO_ENTRY)
    votes_cast(resolution, owners[:1], Choice.FOR)
    services.resolution_close(resolution=resolution, acting_user=None)
    assert rules_current(community) == before
    assert not RulesDecision.objects.filter(rules=before).exists()


def test_the_ballot_log_is_append_only(community):
    (owner,) = owners_each_one_unit(community, 1)
    resolution = resolution_opened(community)
    services.ballot_cast(resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None)
    row = BallotLog.objects.get()
    row.choice = Choice.AGAINST
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()


def test_a_later_no_entry_resolution_does_not_reuse_the_old_hand_off_point(community, staff_user):
    from governance.effects import handoff_suggestion

    owners = owners_each_one_unit(community, 3)
    bare = {"type": "entry_policy", "policy": "no_entry"}
    for effect, point in (
        (bare, "East gate shelf"),
        ({"type": "entry_policy", "policy": "registered"}, None),
    ):
        resolution = resolution_opened(community, effect=effect)
        votes_cast(resolution, owners, Choice.FOR)
        resolution = services.resolution_close(resolution=resolution, acting_user=staff_user)
        if point:
            services.resolution_handoff_set(
                resolution=resolution, handoff_point=point, acting_user=staff_user
            )
    again = resolution_opened(community, effect=bare)
    votes_cast(again, owners, Choice.FOR)
    again = services.resolution_close(resolution=again, acting_user=staff_user)
    assert again.state == ResolutionState.PASSED_PENDING
    assert rules_current(community).entry_policy == EntryPolicy.REGISTERED
    assert handoff_suggestion(again) == "East gate shelf"  # pre-filled from the last one


def test_the_matter_follows_the_effect_and_staff_may_only_raise_it(community):
    from governance.effects import matter_basis

    owners_each_one_unit(community, 1)
    station = {"type": "facility", "kind": "rest_station", "name": "Shade by building 5"}
    derived = resolution_draft(community, effect=station)
    assert derived.matter == Matter.MAJOR
    assert "item 8" in matter_basis(derived)
    with pytest.raises(ValidationError, match="cannot be put as an ordinary"):
        resolution_draft(community, effect=station, matter=Matter.ORDINARY)
    entry = resolution_draft(community, effect=NO_ENTRY)
    assert entry.matter == Matter.ORDINARY
    assert "item 2" in matter_basis(entry)
    with pytest.raises(ValidationError, match="Say why"):
        resolution_draft(community, effect=NO_ENTRY, matter=Matter.MAJOR)
    raised = resolution_draft(
        community, effect=NO_ENTRY, matter=Matter.MAJOR, matter_reason="Our convention says so"
    )
    assert raised.matter == Matter.MAJOR
    assert "Our convention says so" in matter_basis(raised)
    # An effect edited after creation (admin) is caught before opening.
    entry.effect = station
    assert any("ordinary" in b for b in services.resolution_open_blockers(entry))


def test_the_resolution_page_shows_the_legal_item(client, community, owner):
    from django.urls import reverse

    station = {"type": "facility", "kind": "food_cabinet", "name": "East cabinet"}
    resolution = resolution_opened(community, effect=station)
    client.force_login(owner.user)
    page = client.get(reverse("governance:detail", args=[resolution.pk])).content.decode()
    assert "Art. 278, item 8" in page


def test_a_notice_shows_on_the_rules_page_in_the_pages_language(client, community):
    notice_publish(
        community=community,
        title="停水通知",
        title_en="Water off on Friday",
        body="周五上午停水。",
        acting_user=None,
    )
    url = f"/c/{community.slug}/"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h3>Water off on Friday</h3>" in english
    # No English text: the Chinese one, marked and hinted.
    assert '<div lang="zh-Hans"><p>周五上午停水。</p></div> <small class="lang-hint">' in english
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<h3>停水通知</h3>" in chinese and "Water off" not in chinese
