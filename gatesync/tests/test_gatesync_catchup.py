"""Catching up with a fleet that has unreachable controllers: `reconcile` is bounded, puts
controllers that have not failed first, backs off longer and longer from those that keep
failing, and queues its pushes apart from a change's, so they never delay one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from communities.tests.factories import GateControllerFactory, GateFactory
from gatesync import tasks
from gatesync.documents import head_version
from gatesync.models import ControllerSync
from riders.models import GrantSource
from riders.services.grants import grant_request
from riders.tests.factories import RiderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def sent(monkeypatch):
    """(task name, ids, queue) of every push enqueued."""
    calls: list[tuple[str, object, str | None]] = []

    def recorder(name):
        def apply_async(args=(), kwargs=None, queue=None, **options):
            calls.append((name, args[0], queue))

        return apply_async

    monkeypatch.setattr(tasks.push_controller, "apply_async", recorder("one"))
    monkeypatch.setattr(tasks.push_many, "apply_async", recorder("many"))
    return calls


def _behind(community, count: int, **sync) -> list[int]:
    controllers = [
        GateControllerFactory(gate=GateFactory(community=community), enabled=False)
        for _ in range(count)
    ]
    for controller in controllers:
        ControllerSync.objects.update_or_create(
            controller=controller, defaults={"version_held": 0, **sync}
        )
    return [c.pk for c in controllers]


@pytest.fixture
def community_with_a_change(community):
    grant_request(
        rider=RiderFactory(), community=community, source=GrantSource.PLATFORM, acting_user=None
    )
    assert head_version(community.pk) > 0
    return community


def _enable(ids):
    from communities.models import GateController

    GateController.objects.filter(pk__in=ids).update(enabled=True)


def test_reconcile_takes_controllers_that_have_not_failed_first_and_at_most_its_limit(
    community_with_a_change, settings
):
    long_ago = timezone.now() - dt.timedelta(days=1)
    failing = _behind(community_with_a_change, 3, failures=4, last_error_at=long_ago)
    healthy = _behind(community_with_a_change, 3)
    _enable(failing + healthy)
    assert tasks.controllers_behind(limit=3) == sorted(healthy)
    assert set(tasks.controllers_behind(limit=10)) == set(failing + healthy)


def test_a_controller_that_keeps_failing_is_retried_less_often_up_to_the_cap(
    community_with_a_change, settings
):
    settings.GATESYNC_RETRY_MAX_SECONDS = 3600
    (dead,) = _behind(community_with_a_change, 1, failures=30, last_error_at=timezone.now())
    _enable([dead])
    assert tasks.retry_wait(1) == 2 and tasks.retry_wait(30) == 3600
    soon = timezone.now() + dt.timedelta(minutes=30)
    assert dead not in tasks.controllers_behind(now=soon)
    assert dead in tasks.controllers_behind(now=soon + dt.timedelta(minutes=31))


def test_catch_up_goes_to_its_own_queue_and_does_not_hold_up_a_change(
    community_with_a_change, sent, settings
):
    settings.GATESYNC_RECONCILE_MAX = 100
    ids = _behind(community_with_a_change, 10)
    _enable(ids)
    assert tasks.reconcile() == 10
    assert {queue for _name, _ids, queue in sent} == {tasks.CATCHUP_QUEUE}
    sent.clear()
    assert tasks.reconcile() == 0  # still waiting in the catch-up queue: not queued again
    assert sent == []
    # a change now: its push goes to the default queue although a catch-up one waits
    assert tasks.enqueue_push(ids[0])
    assert sent == [("one", ids[0], None)]


def test_a_controller_that_failed_is_asked_for_its_state_before_a_snapshot_is_built(
    community_with_a_change, monkeypatch
):
    from gatesync import push
    from gatesync.drivers import DriverError

    controller = GateControllerFactory(
        gate=GateFactory(community=community_with_a_change),
        endpoint="http://127.0.0.1:9/",  # nothing listens: refused at once
        enabled=False,
    )
    ControllerSync.objects.update_or_create(
        controller=controller, defaults={"failures": 3, "last_error_at": timezone.now()}
    )
    _enable([controller.pk])  # by update: no save signal, no push yet
    built = []
    monkeypatch.setattr(push, "snapshot_document", lambda **kw: built.append(kw) or {})
    with pytest.raises(DriverError):
        push.controller_push(controller.pk)
    assert built == []
    assert ControllerSync.objects.get(controller=controller).failures == 4


def test_a_controller_that_never_answered_is_asked_for_its_state_before_a_snapshot_is_built(
    community_with_a_change, monkeypatch
):
    """A fresh fleet: thousands of controllers never reached. Building each one's list
    (up to 50,000 passes) only to be refused kept a catch-up worker busy for minutes."""
    from gatesync import push
    from gatesync.drivers import DriverError

    controller = GateControllerFactory(
        gate=GateFactory(community=community_with_a_change),
        endpoint="http://127.0.0.1:9/",
        enabled=False,
    )
    ControllerSync.objects.filter(controller=controller).delete()
    _enable([controller.pk])
    built = []
    monkeypatch.setattr(push, "snapshot_document", lambda **kw: built.append(kw) or {})
    with pytest.raises(DriverError):
        push.controller_push(controller.pk)
    assert built == []
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.failures == 1 and sync.confirmed_at is None


def test_reconcile_does_not_queue_a_controller_again_while_its_catch_up_push_runs(
    community_with_a_change, sent, settings, monkeypatch
):
    """The catch-up mark lasts until the push ends (the default queue's is cleared when the
    push starts): `reconcile` meanwhile takes the next controllers, and one that failed
    waits out its backoff."""
    settings.GATESYNC_RECONCILE_MAX = 2
    ids = _behind(community_with_a_change, 4)
    _enable(ids)
    assert tasks.reconcile() == 2
    first = [pk for _name, pk, _queue in sent]
    assert first == ids[:2]
    # The worker takes the first and, while its push runs, beat runs reconcile again.
    in_flight = []

    def push_while_reconciling(controller_id, snapshot=False):
        sent.clear()
        tasks.reconcile()
        in_flight.extend(sent)
        raise tasks.DriverError("refused")

    monkeypatch.setattr(tasks, "controller_push", push_while_reconciling)
    tasks.push_controller.apply(args=(ids[0],))
    assert in_flight == []  # both still marked: nothing queued again
    # Ended (failed): its mark is gone; a failed push is recorded by controller_push,
    # here by hand, and the controller then waits out its backoff.
    ControllerSync.objects.filter(controller_id=ids[0]).update(
        failures=1, last_error_at=timezone.now()
    )
    sent.clear()
    tasks.reconcile()
    assert [pk for _name, pk, _queue in sent] == [ids[2]]  # ids[1] still waits in the queue
