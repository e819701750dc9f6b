"""`python -m bench.dashboard`: the staff dashboard's server time on a community with
5,000 access events and on one with 5,000,000 (issue #6: within 1.5×).

Needs PostgreSQL (DATABASE_URL; the events are written with COPY) and uses its own
database (`--db-name`, default last100_bench_dashboard), created and migrated if missing.
Two property companies, one community each, three gates with a controller each:

* `dash-small`: 5,000 events; `dash-large`: 5,000,000 events.
* Both have the same last day (the same riders' entries and exits, hour by hour); what
  differs is the history before it, spread over the retention period (89 days).

It measures `/staff/` and the community's page for each company's staff member,
in-process through Django's test client (server time: middleware, queries, templates),
first with every event raw (nothing rolled up) and then after `events_roll_up`, and
prints median and p95 of `--runs` requests with the query count. EXPLAIN of the main
queries goes to var/bench/dashboard-explain.txt; figures to var/bench/dashboard.json.
Idempotent: a community that already has its events is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
GATES = ("North Gate", "South Gate", "East Gate")
RIDERS = 2_000
DAY_VISITS = 900  # visits (entry + exit) in the last 24 h, in both communities
SIZES = {"dash-small": 5_000, "dash-large": 5_000_000}
PASSWORD = "bench-dashboard-1"


def _setup_django(db_name: str) -> None:
    from .run import bench_database_url

    os.environ["DATABASE_URL"] = bench_database_url(db_name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def community_ensure(slug: str):
    """A company with a staff member, the community, its gates (each with a
    controller), riders with active grants. Returns (community, staff user, riders)."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from communities import services
    from communities.models import Community, Gate, GateController, PropertyCompany
    from riders.models import AccessGrant, GrantSource, GrantStatus, Platform, Rider

    company = PropertyCompany.objects.filter(slug=f"{slug}-co").first()
    if company is None:
        company = services.company_create(
            name=f"{slug} property", slug=f"{slug}-co", acting_user=None
        )
    user, created = get_user_model().objects.get_or_create(username=f"staff.{slug}")
    if created:
        user.set_password(PASSWORD)
        user.save()
        services.company_staff_add(company=company, user=user, acting_user=None)
    community = Community.objects.filter(slug=slug).first() or services.community_create(
        company=company, slug=slug, name=slug, acting_user=None
    )
    for name in GATES:
        gate, _ = Gate.objects.get_or_create(
            community=community,
            name=name,
            defaults={"x_pct": Decimal("10.00"), "y_pct": Decimal("50.00")},
        )
        GateController.objects.get_or_create(
            gate=gate,
            name=f"{name} box",
            defaults={"endpoint": "http://127.0.0.1:9/", "secret": "bench"},
        )
    platform, _ = Platform.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    have = Rider.objects.filter(platform=platform, platform_rider_id__startswith=f"{slug}-").count()
    if have < RIDERS:
        Rider.objects.bulk_create(
            [
                Rider(
                    platform=platform,
                    platform_rider_id=f"{slug}-{i}",
                    name=f"Rider {i}",
                    phone=f"139{i:08d}",
                )
                for i in range(have, RIDERS)
            ]
        )
    riders = list(
        Rider.objects.filter(platform=platform, platform_rider_id__startswith=f"{slug}-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not AccessGrant.objects.filter(community=community).exists():
        AccessGrant.objects.bulk_create(
            [
                AccessGrant(
                    rider_id=r,
                    community=community,
                    status=GrantStatus.ACTIVE,
                    source=GrantSource.PLATFORM,
                )
                for r in riders
            ]
        )
    return community, user, riders


def _rows_day(gates: list[int], riders: list[int], now: dt.datetime):
    """The last 24 h, the same in both communities (seeded): visits of 2–40 minutes,
    a few denials."""
    rnd = random.Random(6)
    for _ in range(DAY_VISITS):
        rider = rnd.choice(riders)
        start = now - dt.timedelta(seconds=rnd.randrange(60, 24 * 3600))
        stay = dt.timedelta(seconds=rnd.randrange(120, 2400))
        yield rnd.choice(gates), rider, "in", "open", "ok", start
        if start + stay < now and rnd.random() < 0.95:
            yield rnd.choice(gates), rider, "out", "open", "ok", start + stay
        if rnd.random() < 0.1:
            yield rnd.choice(gates), None, "in", "deny", "expired", start


def _rows_history(gates: list[int], riders: list[int], now: dt.datetime, count: int):
    """`count` events before the last day, over 89 days, in id order oldest first."""
    span = 89 * 24 * 3600
    end = now - dt.timedelta(days=1)
    step = span / max(count, 1)
    for i in range(count):
        at = end - dt.timedelta(seconds=span - i * step)
        deny = i % 20 == 0
        yield (
            gates[i % len(gates)],
            None if deny else riders[(i // 2) % len(riders)],
            "in" if i % 2 == 0 else "out",
            "deny" if deny else "open",
            "outside_hours" if deny else "ok",
            at,
        )


def _copy(rows, total: int, label: str) -> None:
    """COPY rows (gate, rider, direction, decision, reason, at) into riders_accessevent."""
    from django.db import connection

    from riders.models import AccessEvent

    table = AccessEvent._meta.db_table
    columns = (
        "event_id, gate_id, rider_id, direction, decision, reason, source, occurred_at, recorded_at"
    )
    started, written = time.perf_counter(), 0
    connection.ensure_connection()
    copy_sql = f"COPY {table} ({columns}) FROM STDIN"
    with connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        chunk: list[str] = []
        for gate, rider, direction, decision, reason, at in rows:
            stamp = at.isoformat()
            rider_text = "\\N" if rider is None else str(rider)
            chunk.append(
                f"{uuid.uuid4()}\t{gate}\t{rider_text}\t{direction}\t{decision}\t{reason}"
                f"\tcontroller\t{stamp}\t{stamp}\n"
            )
            if len(chunk) >= 50_000:
                copy.write("".join(chunk))
                written += len(chunk)
                chunk = []
                print(f"  {label}: {written:,}/{total:,} events", end="\r", flush=True)
        copy.write("".join(chunk))
        written += len(chunk)
    print(f"  {label}: {written:,} events in {time.perf_counter() - started:.0f} s      ")


def events_ensure(community, riders: list[int], total: int, now: dt.datetime) -> None:
    from riders.models import AccessEvent

    gates = list(community.gates.order_by("pk").values_list("pk", flat=True))
    have = AccessEvent.objects.filter(gate_id__in=gates).count()
    if have >= total:
        return
    # One DELETE (see dashboard.services.events_expire): no rows loaded into memory.
    stale = AccessEvent.objects.filter(gate_id__in=gates)
    stale._raw_delete(stale.db)
    day = list(_rows_day(gates, riders, now))
    history = total - len(day)
    _copy(_rows_history(gates, riders, now, history), history, f"{community.slug} history")
    _copy(iter(day), len(day), f"{community.slug} last day")


def staff_dashboard_request(context=None):
    """The bench harness's `dashboard` scenario: GET /staff/ as the staff member of the
    5,000-event community (bench.scenarios)."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from .loadgen import Request

    community, user, riders = community_ensure("dash-small")
    events_ensure(community, riders, SIZES["dash-small"], timezone.now())
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return Request(path="/staff/", headers=(("Cookie", cookie),))


def _measure(client, url: str, runs: int) -> dict:
    from django.db import connection

    for _ in range(3):
        assert client.get(url, SERVER_NAME="localhost").status_code == 200
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url, SERVER_NAME="localhost")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, SERVER_NAME="localhost")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(int(len(times) * 0.95) - 1, 0)], 1),
        "queries": len(executed),
        "bytes": len(response.content),
    }


def _explain(communities, path: Path) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the pages' heaviest queries, for the report."""
    from django.db import connection
    from django.utils import timezone

    from dashboard.selectors import counts, history
    from riders.models import AccessEvent

    lines = []
    for community in communities:
        gates = list(community.gates.all())
        gate_ids = [g.pk for g in gates]
        since = timezone.now() - dt.timedelta(days=7)
        plans = {
            "last 200 events of one gate (one arm of the UNION ALL)": (
                history.community_events(community, gates, history.EventFilter())
                .filter(gate=gates[0])
                .order_by("-occurred_at", "-id")[:200]
            ),
            "raw tail after the roll-up mark, 7 days": (
                AccessEvent.objects.filter(
                    id__gt=counts.rollup_mark(), gate_id__in=gate_ids, occurred_at__gte=since
                )
                .order_by()
                .values("direction")
            ),
        }
        for name, queryset in plans.items():
            lines.append(f"-- {community.slug}: {name}")
            lines.append(queryset.explain(analyze=True, buffers=True))
        stay_since = timezone.now() - dt.timedelta(hours=24)
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (ANALYZE, BUFFERS) " + counts._opened_events_sql(gate_ids),
                counts._opened_events_params(gate_ids, stay_since),
            )
            lines.append(f"-- {community.slug}: opened scans of the last 24 h (inside, stays)")
            lines += [row[0] for row in cursor.fetchall()]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--db-name", default="last100_bench_dashboard")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--large", type=int, default=SIZES["dash-large"])
    parser.add_argument("--small", type=int, default=SIZES["dash-small"])
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench.dashboard needs PostgreSQL: set DATABASE_URL=postgres://...")
    _setup_django(args.db_name)
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from dashboard.models import HourlyEventCount, RollupMark
    from dashboard.services import events_roll_up

    now = timezone.now()
    setups = {}
    for slug, total in (("dash-small", args.small), ("dash-large", args.large)):
        community, user, riders = community_ensure(slug)
        events_ensure(community, riders, total, now)
        setups[slug] = (community, user, total)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    results: dict[str, dict] = {}

    def measure_all(stage: str) -> None:
        for slug, (community, user, total) in setups.items():
            client = Client()
            client.force_login(user)
            for page, url in (
                ("/staff/", "/staff/"),
                ("community page", reverse("dashboard:community", args=[community.slug])),
            ):
                figures = _measure(client, url, args.runs)
                results[f"{stage} | {page} | {slug} ({total:,} events)"] = figures
                print(f"{stage:>14} {page:<15} {slug:<11} {total:>10,} events: {figures}")

    # Raw: nothing rolled up (forget an earlier run's roll-up, keep the events).
    RollupMark.objects.all().delete()
    HourlyEventCount.objects.all().delete()
    measure_all("raw")
    started = time.perf_counter()
    rolled = events_roll_up(batch_size=250_000, now=now + dt.timedelta(hours=1))
    print(f"rolled up {rolled.events:,} events in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    measure_all("rolled up")
    OUT.mkdir(parents=True, exist_ok=True)
    _explain([setups[s][0] for s in setups], OUT / "dashboard-explain.txt")
    for stage in ("raw", "rolled up"):
        for page in ("/staff/", "community page"):
            small = results[f"{stage} | {page} | dash-small ({args.small:,} events)"]
            large = results[f"{stage} | {page} | dash-large ({args.large:,} events)"]
            ratio = large["median_ms"] / small["median_ms"]
            results[f"{stage} | {page} | ratio large/small"] = {"median": round(ratio, 2)}
            print(f"{stage:>14} {page:<15} large/small median ratio: {ratio:.2f}")
    (OUT / "dashboard.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
