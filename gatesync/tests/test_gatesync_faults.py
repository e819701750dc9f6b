"""Faults that must lose nothing: real PostgreSQL, a real Redis server of our own (so it
can be restarted), a real Celery worker with beat, and gate simulator processes.

"Converged" means: the simulator's list digest equals the portal's (docs/gate-protocol.md
§2), at the portal's head version.
"""

from __future__ import annotations

import time

import pytest

from bench.procs import GateSim, RedisServer, Worker, reset_broker_connections, wait_until
from communities.tests.factories import GateControllerFactory, GateFactory
from gatesync.documents import portal_digest
from gatesync.models import ControllerSync
from gatesync.push import LeaseBusy, controller_push
from riders.models import GrantSource
from riders.services.grants import grant_request, grant_revoke, grant_suspend
from riders.services.keys import pass_token_issue
from riders.tests.factories import RiderFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CONVERGE_SECONDS = 40


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_broker(redis_server, settings):
    """Point this process's Celery app at our Redis and stop running tasks inline."""
    from portal.celery import app

    # The worker's cache is this Redis too: producer and worker must share it (the
    # "push already queued" marks), as they do in production through REDIS_URL.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
        }
    }
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_server.url
    reset_broker_connections(app)
    yield app
    app.conf.task_always_eager, app.conf.broker_url = saved
    reset_broker_connections(app)


@pytest.fixture
def worker(celery_broker, redis_server, transactional_db):
    worker = Worker(redis_server.url)
    worker.start()
    yield worker
    worker.stop()


def _grant(community):
    return grant_request(
        rider=RiderFactory(), community=community, source=GrantSource.PLATFORM, acting_user=None
    )


def _converged(sim: GateSim, controller_id: int, community_id: int) -> bool:
    version, digest, _size = portal_digest(community_id)
    state = sim.state(controller_id)
    return state["version"] == version and state["digest"] == digest


def _sim_for(community, live_server, *, controllers=1, **kwargs):
    gate = GateFactory(community=community)
    sim = GateSim({}, portal=live_server.url, **kwargs)
    made = []
    for index in range(controllers):
        made.append(
            GateControllerFactory(
                gate=gate, name=f"Lane {index}", endpoint="http://127.0.0.1:9/", secret=f"s{index}"
            )
        )
    sim.controllers = {c.pk: c.secret for c in made}
    sim.start()
    for controller in made:
        controller.endpoint = sim.endpoint(controller.pk)
        controller.save()
    return sim, made, gate


@pytest.fixture
def running(worker, live_server, community):
    sims: list[GateSim] = []

    def start(**kwargs):
        sim, controllers, gate = _sim_for(community, live_server, **kwargs)
        sims.append(sim)
        return sim, controllers, gate

    yield start
    for sim in sims:
        sim.stop()


def _explain(worker: Worker) -> str:
    return f"worker log tail:\n{worker.log()}"


def test_a_revocation_reaches_a_running_simulator_which_then_denies(running, worker, community):
    grant = _grant(community)
    sim, (controller,), _gate = running()
    wait_until(lambda: _converged(sim, controller.pk, community.pk), timeout=CONVERGE_SECONDS)
    assert sim.scan(controller.pk, pass_token_issue(grant=grant))["decision"] == "open"

    started = time.monotonic()
    grant_revoke(grant=grant, reason="complaint from owners", acting_user=None)
    wait_until(lambda: _converged(sim, controller.pk, community.pk), timeout=CONVERGE_SECONDS)
    elapsed = time.monotonic() - started
    decision = sim.scan(controller.pk, pass_token_issue(grant=grant))
    assert decision["decision"] == "deny", _explain(worker)
    assert decision["reason"] == "unknown_grant"
    print(f"revocation applied on the simulator after {elapsed:.2f} s")


def test_a_simulator_down_while_changes_happen_converges_when_back(running, community):
    sim, (controller,), _gate = running()
    wait_until(lambda: _converged(sim, controller.pk, community.pk), timeout=CONVERGE_SECONDS)
    sim.stop()
    grants = [_grant(community) for _ in range(5)]
    grant_suspend(grant=grants[0], reason="check", acting_user=None)
    wait_until(
        lambda: ControllerSync.objects.get(controller=controller).offline_since,
        timeout=CONVERGE_SECONDS,
    )
    sim.start()  # same port and data directory: it comes back with its old list
    wait_until(lambda: _converged(sim, controller.pk, community.pk), timeout=CONVERGE_SECONDS)
    assert ControllerSync.objects.get(controller=controller).offline_since is None


def test_a_worker_killed_mid_stream_and_restarted_converges(running, worker, community):
    sim, controllers, _gate = running(controllers=3)
    for _ in range(20):
        _grant(community)
    worker.kill()  # SIGKILL while pushes for those changes are queued or running
    for _ in range(10):
        _grant(community)
    worker.start()
    for controller in controllers:
        wait_until(
            lambda c=controller: _converged(sim, c.pk, community.pk), timeout=CONVERGE_SECONDS
        )


def test_redis_restarting_mid_stream_loses_nothing(running, redis_server, community):
    sim, (controller,), _gate = running()
    for _ in range(10):
        _grant(community)
    redis_server.stop()  # queued messages are gone with it (it keeps nothing on disk)
    for _ in range(10):
        _grant(community)  # enqueueing fails quietly after commit; the log has them
    redis_server.start()
    wait_until(lambda: _converged(sim, controller.pk, community.pk), timeout=CONVERGE_SECONDS)


def test_a_push_run_twice_sends_nothing_the_second_time(running, community):
    _grant(community)
    sim, (controller,), _gate = running()
    wait_until(lambda: _converged(sim, controller.pk, community.pk), timeout=CONVERGE_SECONDS)
    before = sim.state(controller.pk)

    def push_again():
        try:
            return controller_push(controller.pk)
        except LeaseBusy:  # the worker's reconcile holds it this instant
            return None

    # A heartbeat the simulator sent before its first snapshot landed can arrive after it
    # and ask for one more snapshot (a known, harmless race): let that one go first.
    wait_until(push_again, timeout=CONVERGE_SECONDS)
    again = wait_until(push_again, timeout=CONVERGE_SECONDS)
    assert again.kind == "none" and again.bytes_sent == 0
    after = sim.state(controller.pk)
    assert (after["version"], after["digest"]) == (before["version"], before["digest"])


def test_a_factory_reset_controller_gets_a_snapshot(running, community):
    for _ in range(3):
        _grant(community)
    sim, (controller,), _gate = running()
    wait_until(lambda: _converged(sim, controller.pk, community.pk), timeout=CONVERGE_SECONDS)
    sim.reset(controller.pk)
    assert sim.state(controller.pk)["version"] == 0
    # Its next heartbeat reports version 0; the portal answers with the whole list.
    wait_until(lambda: _converged(sim, controller.pk, community.pk), timeout=CONVERGE_SECONDS)
    assert ControllerSync.objects.get(controller=controller).last_push_kind == "snapshot"


def test_a_heartbeat_while_redis_is_down_is_still_answered(
    client, celery_broker, redis_server, gate, transactional_db
):
    from gatesync.tests.test_gatesync_api import _signed

    controller = GateControllerFactory(gate=gate, secret="s3cret", endpoint="http://127.0.0.1:9/")
    redis_server.stop()
    answer = _signed(client, controller, "/api/v1/gates/heartbeat", {"version": 0})
    assert answer.status_code == 200
    assert answer.json()["action"] == "snapshot"  # enqueued later by reconcile


def test_a_community_with_many_controllers_is_pushed_in_parallel_and_converges(
    running, worker, community
):
    sim, controllers, _gate = running(controllers=12)  # above FANOUT_MIN: push_many
    for controller in controllers:
        wait_until(
            lambda c=controller: _converged(sim, c.pk, community.pk), timeout=CONVERGE_SECONDS
        )
    grant = _grant(community)
    grant_revoke(grant=grant, reason="gone", acting_user=None)
    for controller in controllers:
        wait_until(
            lambda c=controller: _converged(sim, c.pk, community.pk), timeout=CONVERGE_SECONDS
        )
    assert "push_many" in worker.log() or "gatesync.tasks.push_many" in worker.log()
