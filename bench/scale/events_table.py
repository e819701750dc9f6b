"""`python -m bench.scale.events_table --db-name NAME`: the figures behind the events
table's layout (docs/scaling.md): sizes, a BRIN index on occurred_at against a btree, a
(community, occurred_at) btree for the dashboard's per-community windows, and what the
90-day retention costs as a DELETE of one day. Every index and deletion is made inside a
transaction that is rolled back: the database is left as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time


def _timed(cursor, sql: str, params=()) -> tuple[float, list]:
    started = time.perf_counter()
    cursor.execute(sql, params)
    rows = cursor.fetchall() if cursor.description else []
    return (time.perf_counter() - started) * 1000, rows


def measure() -> list[str]:
    from django.db import connection, transaction

    from riders.models import AccessEvent

    table = AccessEvent._meta.db_table
    out: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), min(occurred_at), max(occurred_at), "
            "pg_size_pretty(pg_relation_size(%s)), pg_size_pretty(pg_indexes_size(%s)) "
            f"FROM {table}",
            [table, table],
        )
        count, first, last, heap, indexes = cursor.fetchone()
        out.append(
            f"{table}: {count:,} rows {first:%Y-%m-%d} .. {last:%Y-%m-%d}, "
            f"heap {heap}, indexes {indexes}"
        )
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid)) "
            "FROM pg_index WHERE indrelid = %s::regclass ORDER BY 1",
            [table],
        )
        out += [f"  index {name}: {size}" for name, size in cursor.fetchall()]
        day_sql = f"SELECT count(*) FROM {table} WHERE occurred_at >= %s AND occurred_at < %s"
        midnight = last.replace(hour=0, minute=0, second=0, microsecond=0)
        day = (midnight - dt.timedelta(days=1), midnight)
        oldest = (first, first + dt.timedelta(days=1))
        ms, rows = _timed(cursor, day_sql, day)
        out.append(f"one day's events by time, no time index: {rows[0][0]:,} rows in {ms:.0f} ms")
        for kind, ddl in (
            ("btree (occurred_at)", f"CREATE INDEX scale_t_btree ON {table} (occurred_at)"),
            (
                "BRIN (occurred_at)",
                f"CREATE INDEX scale_t_brin ON {table} USING brin (occurred_at) "
                "WITH (pages_per_range = 32)",
            ),
        ):
            with transaction.atomic():
                ms_build, _ = _timed(cursor, ddl)
                name = "scale_t_btree" if "btree" in kind else "scale_t_brin"
                cursor.execute("SELECT pg_size_pretty(pg_relation_size(%s))", [name])
                size = cursor.fetchone()[0]
                cursor.execute(f"ANALYZE {table}")
                _timed(cursor, day_sql, day)  # warm
                ms, rows = _timed(cursor, day_sql, day)
                out.append(
                    f"{kind}: built in {ms_build:.0f} ms, {size}; one day's events "
                    f"{rows[0][0]:,} in {ms:.0f} ms"
                )
                transaction.set_rollback(True)
        with transaction.atomic():
            ms, _ = _timed(
                cursor, f"DELETE FROM {table} WHERE occurred_at >= %s AND occurred_at < %s", oldest
            )
            out.append(f"retention: DELETE of the oldest day's events: {ms:.0f} ms (rolled back)")
            transaction.set_rollback(True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale.events_table", description=__doc__)
    parser.add_argument("--db-name", required=True)
    args = parser.parse_args(argv)
    from ..run import bench_database_url

    os.environ["DATABASE_URL"] = bench_database_url(args.db_name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    for line in measure():
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
