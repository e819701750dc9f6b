"""`python -m bench.scale.explain --db-name NAME`: EXPLAIN (ANALYZE, BUFFERS) of the hot
queries on a generated database (bench/scale/generate.py), as the code issues them.

Each hot path is run once with a query recorder; every SELECT it sent is explained with its
parameters. A sequential scan of a table of more than 100,000 rows is flagged. Writes
(a vote cast) run inside a transaction that is rolled back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

BIG_TABLE_ROWS = 100_000


class Recorder:
    def __init__(self) -> None:
        self.queries: list[tuple[str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        if not many and sql.lstrip().upper().startswith("SELECT"):
            self.queries.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)


def _big_tables() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > %s", [BIG_TABLE_ROWS]
        )
        return {row[0] for row in cursor.fetchall()}


def _paths() -> dict[str, Callable[[], object]]:
    """The hot paths, each a callable run against the huge community gen-00001."""
    from django.db import transaction
    from django.test import Client

    from communities.models import Community, Gate
    from governance.models import Owner, Resolution
    from governance.services import ballot_cast
    from governance.tally import tally
    from riders.models import AccessEvent, AccessGrant, Rider
    from riders.services.verification import _grant_with_rules

    community = Community.objects.get(slug="gen-00001")
    gate = Gate.objects.filter(community=community).order_by("pk").first()
    grant = AccessGrant.objects.filter(community=community, status="active").order_by("pk").first()
    rider = Rider.objects.get(pk=grant.rider_id)
    resolution = Resolution.objects.filter(community=community).order_by("pk").first()
    owner = (
        Owner.objects.filter(
            roll_memberships__entry__resolution=resolution, ownerships__developer_held=False
        )
        .order_by("pk")
        .first()
    )

    def vote_cast() -> None:
        with transaction.atomic():
            ballot_cast(resolution=resolution, owner=owner, choice="for", acting_user=None)
            transaction.set_rollback(True)

    def staff_dashboard() -> None:
        """/staff/ as a staff member of gen-00001's company (its ~100 communities, by the
        company group's guardian rows). The bench user stays in the bench database, so the
        plans below are taken with its rows."""
        from django.contrib.auth import get_user_model

        from communities.services import company_staff_add

        user, created = get_user_model().objects.get_or_create(username="scale.explain.staff")
        if created:
            company_staff_add(company=community.company, user=user, acting_user=None)
        client = Client()
        client.force_login(user)
        assert client.get("/staff/", SERVER_NAME="localhost").status_code == 200

    return {
        "registration: grant of (rider, community)": lambda: AccessGrant.objects.filter(
            rider=rider, community=community
        ).first(),
        "registration: rider by platform id": lambda: Rider.objects.filter(
            platform_id=rider.platform_id, platform_rider_id=rider.platform_rider_id
        ).first(),
        "verify: grant with current rules": lambda: _grant_with_rules(grant.pk),
        "rider's pass page: grants of a rider": lambda: list(
            AccessGrant.objects.filter(rider=rider)
        ),
        "rules page GET /c/gen-00001/ (cold cache)": lambda: Client().get(
            f"/c/{community.slug}/", SERVER_NAME="localhost"
        ),
        "tally of the open resolution": lambda: tally(resolution),
        "vote cast (rolled back)": vote_cast,
        "staff dashboard GET /staff/ (company of gen-00001)": staff_dashboard,
        "last 200 events of a gate": lambda: list(
            AccessEvent.objects.filter(gate=gate).order_by("-occurred_at")[:200]
        ),
        "last 200 events of a rider": lambda: list(
            AccessEvent.objects.filter(rider=rider).order_by("-occurred_at")[:200]
        ),
        # As the dashboard asks it: a community's gates over the last day of its events
        # (the data set's "now" is its anchor: the day ends at the gate's newest event).
        "events of a community over a day, by decision": lambda: list(
            AccessEvent.objects.filter(
                gate__in=list(community.gates.values_list("pk", flat=True)),
                occurred_at__gte=AccessEvent.objects.filter(gate=gate)
                .order_by("-occurred_at")
                .values_list("occurred_at", flat=True)[0]
                - dt.timedelta(days=1),
            )
            .values("decision")
            .order_by()
        ),
    }


def explain_all(out: Path) -> list[str]:
    """Write the plans to `out`; return the warnings (sequential scans of big tables)."""
    from django.core.cache import cache
    from django.db import connection

    cache.clear()
    big = _big_tables()
    lines: list[str] = []
    warnings: list[str] = []
    for name, path in _paths().items():
        recorder = Recorder()
        started = time.perf_counter()
        with connection.execute_wrapper(recorder):
            path()
        took = (time.perf_counter() - started) * 1000
        lines.append(f"==== {name}: {len(recorder.queries)} SELECT(s), {took:.1f} ms in all")
        for sql, params in recorder.queries:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
            lines.append("-- " + sql[:400])
            lines += plan
            for row in plan:
                match = re.search(r"Seq Scan on (\w+)", row)
                if match and match.group(1) in big:
                    warnings.append(f"{name}: sequential scan of {match.group(1)}")
            lines.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    return warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale.explain", description=__doc__)
    parser.add_argument("--db-name", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    from ..run import bench_database_url

    os.environ["DATABASE_URL"] = bench_database_url(args.db_name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    warnings = explain_all(args.out)
    print(f"EXPLAIN (ANALYZE, BUFFERS) of the hot queries on {args.db_name}: {args.out}")
    for warning in warnings:
        print(f"  WARNING {warning}")
    if not warnings:
        print("  no sequential scan of a table over 100,000 rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
