"""The scale data generator (bench/scale/generate.py) with tiny numbers, on PostgreSQL:
counts, reproducibility and referential integrity."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from bench.scale.generate import digest, marker_read
from communities.models import Community, Gate, GateController, Unit
from gatesync.models import AccessListEntry, AccessListHead
from governance.models import Ballot, Ownership, Resolution
from riders.models import AccessEvent, AccessGrant, Rider

pytestmark = pytest.mark.django_db(transaction=True)

# The events end at the hour before the test runs (the same anchor for every run of one
# test, so seeds can be compared); a fixed date here broke the suite a month later.
ANCHOR = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)

ARGS = [
    "--riders=600",
    "--communities=20",
    "--events=3000",
    "--huge=2",
    "--huge-units=120",
    "--huge-grants=150",
    "--days=7",
    f"--anchor={ANCHOR.isoformat()}",
]


def generate(*extra: str) -> str:
    out = io.StringIO()
    call_command("generate_load_data", *ARGS, *extra, stdout=out)
    return out.getvalue()


def test_counts_follow_the_sizes():
    generate("--seed=1")
    assert Community.objects.count() == 20
    assert Rider.objects.filter(platform__code__startswith="gen-").count() == 600
    assert AccessEvent.objects.count() == 3000
    for community in Community.objects.filter(pk__lte=2):
        assert Unit.objects.filter(building__community=community).count() == 120
        assert AccessGrant.objects.filter(community=community).count() == 150
        assert Gate.objects.filter(community=community).count() == 4
    gates = Gate.objects.values_list("community_id", flat=True)
    assert set(gates) == set(Community.objects.values_list("pk", flat=True))
    assert GateController.objects.count() == Gate.objects.count()
    # Riders work in several communities.
    assert AccessGrant.objects.count() > Rider.objects.count()
    # One list entry per active grant; the head's version counts them.
    active = AccessGrant.objects.filter(status="active")
    assert AccessListEntry.objects.count() == active.count()
    for head in AccessListHead.objects.all():
        assert head.version == active.filter(community_id=head.community_id).count()
    # Owners hold every unit of the huge communities; one open resolution each, with votes.
    assert Ownership.objects.values("unit").distinct().count() == 240
    assert Resolution.objects.count() == 2
    assert Ballot.objects.count() > 0
    marker = marker_read()
    assert marker["params"]["riders"] == 600
    assert marker["digest"] == digest()
    # Events run in time order by id, all before the anchor, over the last 7 days.
    times = list(AccessEvent.objects.order_by("pk").values_list("occurred_at", flat=True))
    assert times == sorted(times)
    assert times[-1] <= ANCHOR and times[0] >= ANCHOR - dt.timedelta(days=7)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    generate("--seed=7")
    first = digest()
    with pytest.raises(CommandError, match="--force"):
        generate("--seed=7")
    generate("--seed=7", "--force")
    assert digest() == first
    generate("--seed=8", "--force")
    assert digest() != first


def test_every_reference_points_at_a_row():
    generate("--seed=3")
    checks = {
        "event gate": "SELECT count(*) FROM riders_accessevent e "
        "LEFT JOIN communities_gate g ON g.id = e.gate_id WHERE g.id IS NULL",
        "event grant of another rider": "SELECT count(*) FROM riders_accessevent e "
        "JOIN riders_accessgrant g ON g.id = e.grant_id WHERE g.rider_id <> e.rider_id",
        "event at a gate of another community than its grant's": "SELECT count(*) FROM "
        "riders_accessevent e JOIN riders_accessgrant g ON g.id = e.grant_id "
        "JOIN communities_gate t ON t.id = e.gate_id WHERE t.community_id <> g.community_id",
        "list entry of another community": "SELECT count(*) FROM riders_accesslistentry l "
        "JOIN riders_accessgrant g ON g.id = l.grant_id "
        "WHERE g.community_id <> l.community_id OR g.rider_id <> l.rider_id",
    }
    with connection.cursor() as cursor:
        # The database's own foreign keys are deferred: check them all now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, sql in checks.items():
            cursor.execute(sql)
            assert cursor.fetchone()[0] == 0, name
    # The sequences continue after the copied ids.
    rider = Rider.objects.create(platform_id=1, platform_rider_id="new", name="New")
    assert rider.pk == 601


def test_each_companys_staff_hold_the_staff_permissions_on_its_communities():
    """As communities.services writes them: a company's staff member sees its communities
    and no other's, guard included; a second --force run leaves one set of rows."""
    from django.contrib.auth import get_user_model
    from guardian.models import GroupObjectPermission

    from communities import services
    from communities.models import PropertyCompany
    from communities.permissions import GUARD, STAFF_PERMS, communities_for_user
    from communities.tests.factories import CommunityFactory

    generate("--seed=4")
    generate("--seed=4", "--force")
    assert GroupObjectPermission.objects.count() == 20 * len(STAFF_PERMS)
    theirs = CommunityFactory(slug="not-generated")  # another company's, made by the service
    for company in PropertyCompany.objects.exclude(pk=theirs.company_id):
        user = get_user_model().objects.create_user(f"staff.{company.slug}", password="pw-1234-x")
        services.company_staff_add(company=company, user=user, acting_user=None)
        mine = set(Community.objects.filter(company=company))
        assert mine and set(communities_for_user(user)) == mine
        assert set(communities_for_user(user, perm=GUARD)) == mine
        assert theirs not in communities_for_user(user)
