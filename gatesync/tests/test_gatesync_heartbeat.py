"""Heartbeats that cross a push on the wire: a heartbeat written before a push was
confirmed and delivered after it reports the version that push replaced — not a reset."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from communities.tests.factories import GateControllerFactory
from gatesync.documents import head_version
from gatesync.inbound import controller_heartbeat
from gatesync.models import ControllerSync
from riders.models import GrantSource
from riders.services.grants import grant_request
from riders.tests.factories import RiderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def controller(gate):
    return GateControllerFactory(gate=gate, secret="gate-secret", enabled=False)


@pytest.fixture
def confirmed(controller, community):
    """The controller confirmed the head (two changes) ten seconds ago; its earlier
    heartbeats showed its clock 3 s ahead of ours."""
    for _ in range(2):
        grant_request(
            rider=RiderFactory(), community=community, source=GrantSource.PLATFORM, acting_user=None
        )
    head = head_version(community.pk)
    confirmed_at = timezone.now() - dt.timedelta(seconds=10)
    ControllerSync.objects.update_or_create(
        controller=controller,
        defaults={"version_held": head, "confirmed_at": confirmed_at, "clock_offset_seconds": 3},
    )
    return head, confirmed_at


def _beat(controller, version, clock):
    return controller_heartbeat(controller=controller, version=version, clock=clock, firmware="")


def test_a_heartbeat_written_before_the_confirmed_push_asks_for_nothing(controller, confirmed):
    head, confirmed_at = confirmed
    written = int(confirmed_at.timestamp()) - 2 + 3  # 2 s before, on the controller's clock
    answer = _beat(controller, head - 1, written)
    assert answer.action == "none"
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.version_held == head and not sync.needs_snapshot
    assert sync.reported_version == head - 1 and sync.last_heartbeat_at is not None


def test_an_empty_list_reported_before_the_first_push_landed_is_not_a_reset(controller, confirmed):
    head, confirmed_at = confirmed
    answer = _beat(controller, 0, int(confirmed_at.timestamp()) - 5 + 3)
    assert answer.action == "none"
    assert not ControllerSync.objects.get(controller=controller).needs_snapshot


def test_a_lower_version_written_after_the_confirmation_is_a_reset(controller, confirmed):
    head, _confirmed_at = confirmed
    answer = _beat(controller, 0, int(timezone.now().timestamp()) + 3)
    assert answer.action == "snapshot"
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.needs_snapshot and sync.version_held == 0


def test_without_a_clock_a_lower_version_is_believed(controller, confirmed):
    head, _confirmed_at = confirmed
    assert _beat(controller, head - 1, None).action == "snapshot"
