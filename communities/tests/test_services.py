import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from communities import services
from communities.models import DeliveryRules, EntryPolicy
from communities.permissions import (
    GUARD,
    communities_for_user,
    community_for_user,
    user_has_community_perm,
)
from communities.tests.factories import CommunityFactory, StaffUserFactory
from core.models import AuditEntry


def test_a_new_community_starts_with_rules_version_one_and_an_audit_row(company, staff_user):
    community = services.community_create(
        company=company, slug="new-court", name="New Court", acting_user=staff_user
    )
    rules = services.rules_current(community)
    assert rules.version == 1
    assert rules.entry_policy == EntryPolicy.REGISTERED
    assert AuditEntry.objects.filter(
        action="community_create", object_id=str(community.pk)
    ).exists()


def test_publishing_rules_adds_a_version_and_keeps_the_history(community, staff_user):
    services.rules_publish(community=community, acting_user=staff_user, speed_limit_kmh=10)
    services.rules_publish(community=community, acting_user=staff_user, entry_policy="open")
    versions = list(
        community.rules_versions.values_list("version", "entry_policy", "speed_limit_kmh")
    )
    assert versions == [(3, "open", 10), (2, "registered", 10), (1, "registered", None)]
    audit = AuditEntry.objects.filter(action="rules_publish").order_by("-id").first()
    assert audit.before["entry_policy"] == "registered"
    assert audit.after["entry_policy"] == "open"
    assert audit.actor == staff_user


def test_no_entry_policy_needs_a_hand_off_point(community, staff_user):
    with pytest.raises(ValidationError) as excinfo:
        services.rules_publish(community=community, acting_user=staff_user, entry_policy="no_entry")
    assert "handoff_point" in excinfo.value.message_dict
    assert DeliveryRules.objects.filter(community=community).count() == 1


def test_no_entry_with_a_hand_off_point_is_published(community, staff_user):
    rules = services.rules_publish(
        community=community,
        acting_user=staff_user,
        entry_policy="no_entry",
        handoff_point="Food cabinet at the north gate",
    )
    assert rules.version == 2
    assert rules.entry_policy == "no_entry"


def test_publishing_bumps_the_community_so_caches_expire(community, staff_user):
    before = type(community).objects.get(pk=community.pk).updated_at
    services.rules_publish(community=community, acting_user=staff_user, notes="Walk bikes inside")
    after = type(community).objects.get(pk=community.pk).updated_at
    assert after > before


def test_staff_see_only_their_own_companys_communities(community, staff_user, other_staff_user):
    assert list(communities_for_user(staff_user)) == [community]
    assert list(communities_for_user(other_staff_user)) == []
    assert user_has_community_perm(staff_user, community, perm=GUARD)
    assert not user_has_community_perm(other_staff_user, community)


def test_another_companys_community_looks_missing(community, other_staff_user):
    from django.http import Http404

    with pytest.raises(Http404):
        community_for_user(other_staff_user, community.slug)


def test_a_person_can_work_for_one_company_only(company, other_company):
    user = StaffUserFactory(company=company, username="dual")
    with pytest.raises(ValidationError):
        services.company_staff_add(company=other_company, user=user, acting_user=None)


def test_new_communities_of_the_company_reach_existing_staff(company, staff_user):
    later = CommunityFactory(company=company)
    assert later in communities_for_user(staff_user)


def test_anonymous_and_inactive_users_hold_nothing(community, staff_user):
    from django.contrib.auth.models import AnonymousUser

    assert not communities_for_user(AnonymousUser()).exists()
    staff_user.is_active = False
    staff_user.save()
    assert not communities_for_user(staff_user).exists()


def test_gate_entry_codes_are_long_random_and_never_look_like_an_option():
    from communities.models import gate_entry_code_new

    codes = {gate_entry_code_new() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) >= 22 and not c.startswith("-") for c in codes)


@pytest.mark.parametrize("perm", ["communities.view_community", GUARD, "manage_riders"])
def test_communities_for_user_answers_as_guardian_does(company, other_company, perm):
    """Own permissions, a group's, both, another permission only, another company's: the
    same set as guardian's get_objects_for_user, which the dashboard used to call."""
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm, get_objects_for_user

    from communities.permissions import STAFF_PERMS

    mine, shared, theirs, other_perm_only, group_only = (
        CommunityFactory(company=c) for c in (company, company, other_company, company, company)
    )
    user = get_user_model().objects.create_user("mixed.rights", password="pw-mixed-123")
    codename = perm.rpartition(".")[2]
    assign_perm(f"communities.{codename}", user, mine)
    assign_perm(f"communities.{codename}", user, shared)
    other = next(p for p in STAFF_PERMS if p != codename)
    assign_perm(f"communities.{other}", user, other_perm_only)
    group = Group.objects.create(name="night shift")
    group.user_set.add(user)
    assign_perm(f"communities.{codename}", group, shared)
    assign_perm(f"communities.{codename}", group, group_only)
    assign_perm(f"communities.{codename}", Group.objects.create(name="others"), theirs)

    ours = set(communities_for_user(user, perm=perm))
    guardians = set(
        get_objects_for_user(
            user, f"communities.{codename}", klass=type(mine), accept_global_perms=False
        )
    )
    assert ours == guardians == {mine, shared, group_only}
    # Counting and slicing (the dashboard's paginator) see each community once.
    assert communities_for_user(user, perm=perm).count() == 3


def test_communities_for_user_refuses_a_permission_of_another_app(staff_user):
    with pytest.raises(ValueError):
        communities_for_user(staff_user, perm="riders.change_rider")


def test_superusers_see_every_community(community, other_company):
    theirs = CommunityFactory(company=other_company)
    admin = get_user_model().objects.create_superuser("root.admin", password="pw-root-123")
    assert set(communities_for_user(admin)) == {community, theirs}


@pytest.mark.django_db
def test_a_no_entry_version_does_not_inherit_the_riders_notes_and_hours(community, staff_user):
    import datetime as dt

    services.rules_publish(
        community=community,
        acting_user=staff_user,
        entry_policy=EntryPolicy.REGISTERED,
        notes="Scan the entry code at the north gate, then ride in.",
        rider_hours_start=dt.time(7),
        rider_hours_end=dt.time(22),
        ebikes_allowed_inside=True,
        speed_limit_kmh=10,
    )
    no_entry = services.rules_publish(
        community=community,
        acting_user=staff_user,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="Shelf at the north gate",
    )
    assert no_entry.notes == ""
    assert (no_entry.rider_hours_start, no_entry.rider_hours_end) == (None, None)
    assert (no_entry.ebikes_allowed_inside, no_entry.speed_limit_kmh) == (False, None)
    # Riders let in again: what staff last confirmed for riders inside comes back, the
    # hand-off point does not come along.
    reopened = services.rules_publish(
        community=community, acting_user=staff_user, entry_policy=EntryPolicy.REGISTERED
    )
    assert reopened.notes.startswith("Scan the entry code")
    assert reopened.rider_hours_start == dt.time(7)
    assert reopened.handoff_point == ""
    # Within one kind of policy nothing changes: fields not given carry over.
    same = services.rules_publish(community=community, acting_user=staff_user, speed_limit_kmh=15)
    assert same.notes == reopened.notes
