"""`python -m bench.gatesync` (part of `make bench`): the four gate-sync figures.

1. A delta for one change against a list of 50,000 passes: bytes on the wire (≤ 2 KB).
2. A full snapshot of 50,000 passes pushed to a simulator and applied: seconds (≤ 3 s).
3. One change → applied on a controller, real Celery worker and Redis: p50/p95 (≤ 2 s).
4. One change → 1,000 virtual controllers (one simulator process) confirmed: seconds.

Everything is real: PostgreSQL (a database of its own, `--db-name`), a private
redis-server, `celery -A portal worker -B`, and `python -m tools.gatesim` processes.
Results are printed and written to var/bench/gatesync.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from .procs import GateSim, RedisServer, WorkerPair, wait_until
from .run import OUT_DIR, bench_database_url, log

SLUG = "bench-gatesync"
FLEET_SLUG = "bench-gatesync-fleet"
FLEET_SECRET = "fleet-secret"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.gatesync", description=__doc__)
    parser.add_argument("--entries", type=int, default=50_000, help="passes on the big list")
    parser.add_argument("--changes", type=int, default=30, help="changes timed end to end")
    parser.add_argument("--fleet", type=int, default=1000, help="virtual controllers")
    parser.add_argument("--db-name", default="last100_bench_gatesync")
    parser.add_argument("--json", type=Path, default=OUT_DIR / "gatesync.json")
    return parser.parse_args(argv)


def setup_django(db_name: str) -> None:
    os.environ["DATABASE_URL"] = bench_database_url(db_name)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


PLACE = {
    "address": "1 Bench Road, Shanghai",
    "office_phone": "021-0000-0009",
    "office_location": "Building 1",
    "acting_user": None,
}


def _company():
    from communities.models import PropertyCompany
    from communities.services import company_create

    return PropertyCompany.objects.filter(slug="bench-sync").first() or company_create(
        name="Bench Sync Property", slug="bench-sync", phone="021-0000-0008", acting_user=None
    )


def big_list(entries: int):
    """A community whose list holds `entries` passes (made once, reused)."""
    from django.db import transaction
    from django.utils import timezone

    from communities.models import Community
    from communities.services import community_create
    from gatesync.models import AccessListEntry, AccessListHead
    from riders.models import AccessGrant, GrantSource, GrantStatus, Platform, Rider

    community = Community.objects.filter(slug=SLUG).first()
    if community and AccessGrant.objects.filter(community=community).count() == entries:
        return community
    if community:
        community.delete()
    company = _company()
    community = community_create(company=company, slug=SLUG, name="Bench Sync", **PLACE)
    platform, _ = Platform.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    now = timezone.now()
    until = now + timezone.timedelta(days=365)
    log(f"gatesync: creating {entries} riders, grants and list entries")
    with transaction.atomic():
        existing = Rider.objects.filter(platform=platform).count()
        Rider.objects.bulk_create(
            [
                Rider(
                    platform=platform,
                    platform_rider_id=f"B{i}",
                    name=f"Bench {i}",
                    verified_by_platform=True,
                )
                for i in range(existing, entries)
            ],
            batch_size=5000,
        )
        riders = list(Rider.objects.filter(platform=platform).order_by("pk")[:entries])
        grants = AccessGrant.objects.bulk_create(
            [
                AccessGrant(
                    rider=r,
                    community=community,
                    status=GrantStatus.ACTIVE,
                    source=GrantSource.PLATFORM,
                    valid_from=now,
                    valid_until=until,
                )
                for r in riders
            ],
            batch_size=5000,
        )
        AccessListEntry.objects.bulk_create(
            [
                AccessListEntry(
                    community=community,
                    grant=g,
                    rider_id=g.rider_id,
                    valid_from=int(now.timestamp()),
                    valid_until=int(until.timestamp()),
                    version=1,
                )
                for g in grants
            ],
            batch_size=5000,
        )
        head, _ = AccessListHead.objects.get_or_create(community=community)
        AccessListHead.objects.filter(pk=head.pk).update(version=head.version + 1)
        # The log before this version is not kept: a controller starts from a snapshot.
    return community


def flip(grant) -> None:
    """One change of who may pass: suspend an active grant or reinstate a suspended one."""
    from riders.models import GrantStatus
    from riders.services.grants import grant_approve, grant_reinstate, grant_suspend

    grant.refresh_from_db()
    if grant.status == GrantStatus.ACTIVE:
        grant_suspend(grant=grant, reason="bench", acting_user=None)
    elif grant.status == GrantStatus.PENDING:
        grant_approve(grant=grant, acting_user=None)
    else:
        grant_reinstate(grant=grant, acting_user=None)


def figure_delta_bytes(community) -> int:
    from gatesync.documents import delta_document, head_version
    from riders.models import AccessGrant

    grant = AccessGrant.objects.filter(community=community).order_by("pk").first()
    start = head_version(community.pk)
    flip(grant)
    doc = delta_document(controller_id=1, community_id=community.pk, from_version=start)
    flip(grant)
    return len(json.dumps(doc, separators=(",", ":")).encode())


def controller_for(community, sim: GateSim, controller_id_hint: int | None = None):
    """The bench controller, as never synced (each figure starts a fresh simulator)."""
    from communities.models import Gate, GateController
    from gatesync.models import ControllerSync

    gate, _ = Gate.objects.get_or_create(community=community, name="Bench gate")
    controller = GateController.objects.filter(gate=gate, name="Bench controller").first()
    if controller is None:
        controller = GateController.objects.create(
            gate=gate, name="Bench controller", endpoint="http://127.0.0.1:9/", secret="bench"
        )
    ControllerSync.objects.filter(controller=controller).delete()
    return controller


def figure_snapshot_seconds(community, rounds: int = 3) -> tuple[float, int]:
    from gatesync.push import controller_push

    sim = GateSim({}, heartbeat=3600)
    controller = controller_for(community, sim)
    sim.controllers = {controller.pk: controller.secret}
    sim.start()
    controller.endpoint = sim.endpoint(controller.pk)
    controller.enabled = True
    controller.save()
    times, size = [], 0
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            outcome = controller_push(controller.pk, snapshot=True)
            times.append(time.perf_counter() - started)
            size = outcome.bytes_sent
            assert sim.state(controller.pk)["size"] >= 1
    finally:
        sim.stop()
        controller.enabled = False
        controller.save()
    return statistics.median(times), size


def figure_change_latency(community, changes: int, redis: RedisServer) -> list[float]:
    from gatesync.documents import head_version
    from riders.models import AccessGrant

    sim = GateSim({}, heartbeat=3600)
    controller = controller_for(community, sim)
    sim.controllers = {controller.pk: controller.secret}
    sim.start()
    controller.endpoint = sim.endpoint(controller.pk)
    controller.enabled = True
    controller.save()  # enqueues the first (snapshot) push
    worker = WorkerPair(redis.url, settings_module="bench.settings")
    worker.start()
    grant = AccessGrant.objects.filter(community=community).order_by("pk").last()
    latencies = []
    try:
        wait_until(
            lambda: sim.state(controller.pk)["version"] == head_version(community.pk), timeout=120
        )
        for _ in range(changes):
            started = time.perf_counter()
            flip(grant)
            target = head_version(community.pk)
            wait_until(
                lambda t=target: sim.state(controller.pk)["version"] >= t, timeout=30, every=0.005
            )
            latencies.append(time.perf_counter() - started)
    finally:
        worker.stop()
        sim.stop()
        controller.enabled = False
        controller.save()
    return latencies


def figure_fleet(fleet: int, redis: RedisServer) -> tuple[float, float]:
    """Seconds from one change to every one of `fleet` controllers confirming it; and the
    seconds the first full sync of the fleet took."""
    from communities.models import Community, Gate, GateController
    from communities.services import community_create
    from gatesync.documents import head_version
    from gatesync.models import ControllerSync
    from gatesync.tasks import enqueue_community
    from riders.models import AccessGrant, GrantSource, Platform, Rider
    from riders.services.grants import grant_request

    community = Community.objects.filter(slug=FLEET_SLUG).first()
    if community is None:
        community = community_create(
            company=_company(), slug=FLEET_SLUG, name="Bench Fleet", **PLACE
        )
    gate, _ = Gate.objects.get_or_create(community=community, name="Fleet gate")
    have = GateController.objects.filter(gate=gate).count()
    GateController.objects.bulk_create(
        [
            GateController(
                gate=gate, name=f"V{i}", endpoint="http://127.0.0.1:9/", secret="x", enabled=False
            )
            for i in range(have, fleet)
        ]
    )
    ids = list(GateController.objects.filter(gate=gate).order_by("pk").values_list("pk", flat=True))
    sim = GateSim(dict.fromkeys(ids, FLEET_SECRET), heartbeat=3600)
    sim.start()
    for pk in ids:
        GateController.objects.filter(pk=pk).update(
            endpoint=sim.endpoint(pk), secret=FLEET_SECRET, enabled=True
        )
    ControllerSync.objects.filter(controller_id__in=ids).delete()
    platform, _ = Platform.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    rider = Rider.objects.filter(platform=platform).first()
    Rider.objects.filter(pk=rider.pk).update(verified_by_platform=True)
    rider.refresh_from_db()
    worker = WorkerPair(redis.url, settings_module="bench.settings", concurrency=4)
    worker.start()
    try:
        started = time.perf_counter()
        # What saving a controller does (gatesync/receivers.py): the community's
        # controllers are pushed at once, on the default queue. (Left to `reconcile`, the
        # fleet would wait behind every never-reached controller of the large data set.)
        enqueue_community(community.pk)
        wait_until(
            lambda: (
                ControllerSync.objects.filter(
                    controller_id__in=ids, version_held=head_version(community.pk)
                ).count()
                == len(ids)
            ),
            timeout=300,
            every=0.2,
        )
        initial = time.perf_counter() - started
        existing = AccessGrant.objects.filter(community=community, rider=rider).first()
        before = head_version(community.pk)
        started = time.perf_counter()
        if existing is None:
            grant_request(
                rider=rider, community=community, source=GrantSource.PLATFORM, acting_user=None
            )
        else:
            flip(existing)
        target = head_version(community.pk)
        assert target > before, "the change did not change the list"
        wait_until(
            lambda: (
                ControllerSync.objects.filter(
                    controller_id__in=ids, version_held__gte=target
                ).count()
                == len(ids)
            ),
            timeout=300,
            every=0.05,
        )
        converged = time.perf_counter() - started
        # Spot-check what the simulator itself holds, not just what it answered.
        for pk in ids[:: max(1, len(ids) // 20)]:
            assert sim.state(pk)["version"] >= target
    finally:
        worker.stop()
        sim.stop()
        GateController.objects.filter(pk__in=ids).update(enabled=False)
    return converged, initial


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A private Redis: broker and cache of this process and of the worker alike (they must
    # share the cache, as in production, where both read REDIS_URL).
    redis = RedisServer()
    redis.start()
    os.environ["REDIS_URL"] = redis.url
    try:
        return measure(args, redis)
    finally:
        redis.stop()


def measure(args: argparse.Namespace, redis: RedisServer) -> int:
    setup_django(args.db_name)
    from communities.models import GateController

    # Each figure enables the controllers it measures; leftovers of an interrupted run
    # would otherwise be retried by the worker and weigh on the figures. Only this bench's
    # own: the database may be shared with `make bench` (bench-scale runs both).
    GateController.objects.filter(gate__community__slug__in=[SLUG, FLEET_SLUG]).update(
        enabled=False
    )
    community = big_list(args.entries)
    results: dict[str, object] = {"entries": args.entries}
    results["delta_bytes_one_change"] = figure_delta_bytes(community)
    log(f"gatesync: delta for one change: {results['delta_bytes_one_change']} bytes")
    seconds, size = figure_snapshot_seconds(community)
    results["snapshot_seconds"] = round(seconds, 3)
    results["snapshot_bytes"] = size
    log(f"gatesync: snapshot of {args.entries}: {seconds:.2f} s, {size / 1e6:.1f} MB")
    latencies = sorted(figure_change_latency(community, args.changes, redis))
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    results["change_to_applied_p50"] = round(statistics.median(latencies), 3)
    results["change_to_applied_p95"] = round(p95, 3)
    log(f"gatesync: change → applied p50 {results['change_to_applied_p50']} s, p95 {p95:.3f} s")
    if args.fleet:
        converged, initial = figure_fleet(args.fleet, redis)
        results["fleet"] = args.fleet
        results["fleet_change_seconds"] = round(converged, 2)
        results["fleet_initial_sync_seconds"] = round(initial, 2)
        log(f"gatesync: one change → {args.fleet} controllers: {converged:.2f} s")
    targets = {
        "delta_bytes_one_change": ("≤ 2048 bytes", results["delta_bytes_one_change"] <= 2048),
        "snapshot_seconds": ("≤ 3 s", results["snapshot_seconds"] <= 3),
        "change_to_applied_p95": ("≤ 2 s", results["change_to_applied_p95"] <= 2),
    }
    print("\nfigure                          value        target         met")
    for key, value in results.items():
        target, met = targets.get(key, ("", None))
        mark = "" if met is None else ("yes" if met else "NO")
        print(f"{key:<32}{value!s:<13}{target:<15}{mark}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(met for _t, met in targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
