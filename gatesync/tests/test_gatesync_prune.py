"""The change log's retention (gatesync.outbox.changes_prune): rows no delta can use
are deleted; a controller still needing them is sent a snapshot instead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from communities.tests.factories import CommunityFactory
from gatesync.documents import delta_document, head_version
from gatesync.models import AccessChange
from gatesync.outbox import changes_prune
from riders.models import GrantSource
from riders.services.grants import grant_request
from riders.tests.factories import RiderFactory

pytestmark = pytest.mark.django_db


def _changes(community, count: int) -> None:
    for _ in range(count):
        grant_request(
            rider=RiderFactory(), community=community, source=GrantSource.PLATFORM, acting_user=None
        )


def _versions(community) -> list[int]:
    return list(
        AccessChange.objects.filter(community=community)
        .order_by("version")
        .values_list("version", flat=True)
    )


def test_rows_too_far_behind_the_head_for_a_delta_are_deleted(community, settings):
    settings.GATESYNC_DELTA_MAX_CHANGES = 3
    quiet = CommunityFactory(company=community.company)
    _changes(community, 7)
    _changes(quiet, 2)
    head = head_version(community.pk)
    old_enough_for_a_delta = delta_document(
        controller_id=1, community_id=community.pk, from_version=head - 3
    )
    assert changes_prune() == head - 3
    assert _versions(community) == [head - 2, head - 1, head]
    assert _versions(quiet) == [1, 2, 3]  # within reach of a delta, and young
    # The controllers that could have a delta still get the same one; the others a snapshot.
    assert (
        delta_document(controller_id=1, community_id=community.pk, from_version=head - 3)
        == old_enough_for_a_delta
    )
    assert delta_document(controller_id=1, community_id=community.pk, from_version=1) is None
    assert changes_prune() == 0  # idempotent


def test_rows_older_than_the_retention_are_deleted_even_in_a_quiet_community(community, settings):
    settings.GATESYNC_CHANGE_RETENTION_DAYS = 30
    _changes(community, 3)
    first = _versions(community)[0]
    AccessChange.objects.filter(community=community, version__lte=first + 1).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    assert changes_prune() == 2
    assert _versions(community) == list(range(first + 2, head_version(community.pk) + 1))
    # A controller that held `first` for a month is sent the whole list.
    assert delta_document(controller_id=1, community_id=community.pk, from_version=first) is None


def test_pruning_runs_in_batches_until_done(community, settings):
    settings.GATESYNC_DELTA_MAX_CHANGES = 1
    _changes(community, 6)
    head = head_version(community.pk)
    assert changes_prune(batch=2) == head - 1
    assert _versions(community) == [head]


def test_beat_prunes_the_change_log_hourly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["gatesync-prune-changes"]
    assert entry["task"] == "gatesync.tasks.prune_changes"
    assert entry["schedule"] == 3600.0
