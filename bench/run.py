"""`python -m bench.run` (`make bench`): load the floor and the portal's scenarios with the
same client, interleaved (floor, scenario, floor, scenario, ..., floor), and print
requests/s, client p50/p95/p99, server p50/p95, errors and each scenario's ratio to the
floor runs on either side of it. The table is also written to var/bench/last.json.

Client latency is measured by the load client from sending a request to reading its whole
response, so it includes the time the request waits in the listening socket's backlog
and for a free worker thread. Server time is measured inside the gunicorn worker, from
when it begins handling the request (headers read) until the response is written
(bench/gunicorn.conf.py's pre_request/post_request hooks): what the application costs.

Database: DATABASE_URL set (PostgreSQL) -> a dedicated database on that server
(`--db-name`, default last100_bench), created if missing; unset -> a SQLite file under
var/bench/. It is migrated and seeded (seed_demo, then each scenario's set-up) before
the servers start. REDIS_URL, when set, is the portal's cache, as in production.

Exit status: 0 when every scenario meets its target with no errors, 1 when one does not,
2 when the harness itself could not run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from . import loadgen
from .scenarios import FLOOR, SCENARIOS, BenchContext, Scenario
from .servers import HOST, GunicornOptions, Server, ServerFailed

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "var" / "bench"
PORTAL_SETTINGS = "bench.settings"
FLOOR_SETTINGS = "bench.floor.settings"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per run")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument(
        "--worker-class", choices=["gthread", "sync"], default="gthread", help="gunicorn worker"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only this scenario (repeatable; the floor always runs): {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--rounds", type=int, default=1, help="times to run each scenario")
    parser.add_argument(
        "--db-name", default="last100_bench", help="bench database (or SQLite file) name"
    )
    parser.add_argument("--buildings", type=int, default=200, help="big community's buildings")
    parser.add_argument("--units-per-building", type=int, default=100)
    parser.add_argument("--no-seed-demo", action="store_true", help="skip manage.py seed_demo")
    parser.add_argument("--json", type=Path, default=OUT_DIR / "last.json", help="JSON output")
    args = parser.parse_args(argv)
    unknown = [name for name in args.only or [] if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; known: {list(SCENARIOS)}")
    if args.duration <= 0 or args.warmup < 0 or args.concurrency < 1 or args.workers < 1:
        parser.error("--duration and --concurrency/--workers must be positive")
    return args


# --- the bench database ------------------------------------------------------------------


def bench_state_dir(db_name: str) -> Path:
    """var/bench/<db-name>/: the bench database's media files (site maps), and its SQLite
    file when there is no DATABASE_URL. The database and this folder go together."""
    return OUT_DIR / db_name


def bench_database_url(db_name: str) -> str:
    """The bench database's URL, on the PostgreSQL server of DATABASE_URL if that is set,
    else a SQLite file under var/bench/<db-name>/. A PostgreSQL database whose state folder
    is gone (`make clean`) is dropped and made afresh: its rows would point at missing
    media files."""
    state = bench_state_dir(db_name)
    base = os.environ.get("DATABASE_URL", "")
    if not base:
        state.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{state / 'db.sqlite3'}"
    parsed = urlparse(base)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"bench: DATABASE_URL must be PostgreSQL or unset, not {parsed.scheme}")
    import psycopg
    from psycopg import sql

    name = sql.Identifier(db_name)
    admin_url = urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone()
        if exists and not state.is_dir():
            log(f"{state} is missing: dropping the database {db_name} to start afresh")
            conn.execute(sql.SQL("DROP DATABASE {}").format(name))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    state.mkdir(parents=True, exist_ok=True)
    return urlunparse(parsed._replace(path="/" + db_name))


def prepare(args: argparse.Namespace, chosen: list[Scenario]) -> dict[str, loadgen.RequestSource]:
    """Migrate and seed the bench database, run the scenarios' set-up; in this process,
    with the same environment the portal server gets."""
    import django
    from django.core.management import call_command, get_commands
    from django.db import connections

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    if not args.no_seed_demo and "seed_demo" in get_commands():
        call_command("seed_demo", stdout=io.StringIO())
    context = BenchContext(buildings=args.buildings, units_per_building=args.units_per_building)
    sources = {}
    for scenario in chosen:
        started = time.perf_counter()
        sources[scenario.name] = scenario.setup(context)
        log(f"set up {scenario.name} in {time.perf_counter() - started:.1f} s")
    connections.close_all()
    return sources


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Run:
    """One timed run in the interleaved sequence."""

    scenario: str
    round: int
    result: loadgen.LoadResult
    floor_before: float | None = None
    floor_after: float | None = None
    server_ms: list[float] = field(default_factory=list)  # filled once the servers stop

    def as_json(self) -> dict:
        r = self.result
        server = sorted(self.server_ms)
        return {
            "scenario": self.scenario,
            "round": self.round,
            "requests": r.requests,
            "seconds": round(r.seconds, 3),
            "rps": round(r.rps, 1),
            "p50_ms": round(r.percentile_ms(50), 2),
            "p95_ms": round(r.percentile_ms(95), 2),
            "p99_ms": round(r.percentile_ms(99), 2),
            "server_requests": len(server),
            "server_p50_ms": _rounded(loadgen.percentile(server, 50)) if server else None,
            "server_p95_ms": _rounded(loadgen.percentile(server, 95)) if server else None,
            "errors": r.errors,
            "avg_body_bytes": round(r.body_bytes / r.requests) if r.requests else 0,
            "statuses": {str(k): v for k, v in sorted(r.statuses.items())},
            "error_samples": r.error_samples,
            "floor_before_rps": self.floor_before,
            "floor_after_rps": self.floor_after,
        }


def _rounded(value: float) -> float:
    return round(value, 2)


def plan(chosen: list[Scenario], rounds: int) -> list[tuple[Scenario, int]]:
    """floor, s1, floor, s2, floor, ... : every scenario run sits between two floor runs."""
    sequence: list[tuple[Scenario, int]] = [(FLOOR, 0)]
    for round_ in range(rounds):
        for scenario in chosen:
            if scenario is FLOOR:
                continue
            sequence += [(scenario, round_), (FLOOR, round_)]
    if len(sequence) == 1:  # only the floor was asked for
        sequence += [(FLOOR, round_) for round_ in range(1, rounds)]
    return sequence


def measure(
    args: argparse.Namespace,
    servers: dict[str, Server],
    sources: dict[str, loadgen.RequestSource],
    sequence: list[tuple[Scenario, int]],
) -> list[Run]:
    runs: list[Run] = []
    for index, (scenario, round_) in enumerate(sequence, 1):
        server = servers[scenario.server]
        result = loadgen.load(
            scenario.name,
            HOST,
            server.port,
            sources[scenario.name],
            concurrency=args.concurrency,
            warmup=args.warmup,
            duration=args.duration,
            ok_statuses=frozenset(scenario.ok_statuses),
        )
        runs.append(Run(scenario.name, round_, result))
        log(
            f"[{index}/{len(sequence)}] {scenario.name:<14} {result.rps:9.1f} req/s"
            f"  p50 {result.percentile_ms(50):7.2f} ms  p95 {result.percentile_ms(95):7.2f} ms"
            f"  p99 {result.percentile_ms(99):7.2f} ms  errors {result.errors}"
        )
    for position, run in enumerate(runs):
        if run.scenario == FLOOR.name:
            continue
        run.floor_before = _neighbour_floor(runs, position, -1)
        run.floor_after = _neighbour_floor(runs, position, +1)
    return runs


def attach_server_times(runs: list[Run], servers: dict[str, Server]) -> None:
    """Give each run the server times of the requests that began in its measured window
    (call once the servers have stopped, so every record is written)."""
    for run in runs:
        server = servers[SCENARIOS[run.scenario].server]
        run.server_ms = server.server_times_ms(run.result.window)


def _neighbour_floor(runs: list[Run], position: int, step: int) -> float | None:
    position += step
    while 0 <= position < len(runs):
        if runs[position].scenario == FLOOR.name:
            return round(runs[position].result.rps, 1)
        position += step
    return None


def summarise(runs: list[Run], chosen: list[Scenario]) -> list[dict]:
    """One row per scenario, floor first. A scenario's ratio is its requests/s over the mean
    of the floor runs either side of each of its runs; errors fail a scenario outright."""
    rows = []
    for scenario in [FLOOR, *(s for s in chosen if s is not FLOOR)]:
        mine = [run for run in runs if run.scenario == scenario.name]
        if not mine:
            continue
        latencies = sorted(ms for run in mine for ms in run.result.latencies_ms)
        server = sorted(ms for run in mine for ms in run.server_ms)
        server_p95 = _rounded(loadgen.percentile(server, 95)) if server else None
        seconds = sum(run.result.seconds for run in mine)
        errors = sum(run.result.errors for run in mine)
        rps = (len(latencies) - errors) / seconds if seconds else 0.0
        if scenario is FLOOR:
            ratio = 1.0
        else:
            floors = [
                value
                for run in mine
                for value in (run.floor_before, run.floor_after)
                if value is not None
            ]
            floor_rps = sum(floors) / len(floors) if floors else 0.0
            ratio = rps / floor_rps if floor_rps else 0.0
        checks = []
        if scenario.target_ratio is not None:
            checks.append(ratio >= scenario.target_ratio)
        if scenario.server_p95_max_ms is not None:
            # No server figures (the hooks did not run) cannot show the bar is met.
            checks.append(server_p95 is not None and server_p95 <= scenario.server_p95_max_ms)
        if not checks:
            verdict = "fail" if errors else "-"
        else:
            verdict = "pass" if all(checks) and not errors else "fail"
        rows.append(
            {
                "scenario": scenario.name,
                "rps": round(rps, 1),
                "p50_ms": round(loadgen.percentile(latencies, 50), 2),
                "p95_ms": round(loadgen.percentile(latencies, 95), 2),
                "p99_ms": round(loadgen.percentile(latencies, 99), 2),
                "server_p50_ms": _rounded(loadgen.percentile(server, 50)) if server else None,
                "server_p95_ms": server_p95,
                "requests": len(latencies),
                "server_requests": len(server),
                "errors": errors,
                "ratio": round(ratio, 3),
                "target": scenario.target_ratio,
                "server_p95_target_ms": scenario.server_p95_max_ms,
                "result": verdict,
                "description": scenario.description,
            }
        )
    return rows


def _ms_cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _target_cell(row: dict) -> str:
    """The scenario's bars: a ratio to the floor, a server-time p95, both, or none."""
    parts = []
    if row.get("target") is not None:
        parts.append(f">= {row['target']:.2f}")
    if row.get("server_p95_target_ms") is not None:
        parts.append(f"server p95 <= {row['server_p95_target_ms']:g} ms")
    return ", ".join(parts) or "-"


def format_table(rows: list[dict]) -> str:
    header = (
        "scenario",
        "requests/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "server p50 ms",
        "server p95 ms",
        "errors",
        "ratio",
        "target",
        "result",
    )
    lines = [
        (
            row["scenario"],
            f"{row['rps']:.1f}",
            f"{row['p50_ms']:.2f}",
            _ms_cell(row.get("p95_ms")),
            f"{row['p99_ms']:.2f}",
            _ms_cell(row.get("server_p50_ms")),
            _ms_cell(row.get("server_p95_ms")),
            str(row["errors"]),
            f"{row['ratio']:.2f}",
            _target_cell(row),
            row["result"],
        )
        for row in rows
    ]
    widths = [max(len(str(col)) for col in column) for column in zip(header, *lines, strict=True)]
    out = []
    for number, line in enumerate([header, *lines]):
        cells = [
            cell.ljust(width) if index == 0 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("  ".join(cells))
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


# --- plumbing ----------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _raise_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the ExitStack, which stops the servers


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    chosen = [SCENARIOS[name] for name in args.only] if args.only else list(SCENARIOS.values())
    if FLOOR not in chosen:
        chosen.insert(0, FLOOR)

    database_url = bench_database_url(args.db_name)
    env = {key: value for key, value in os.environ.items() if key != "GUNICORN_CMD_ARGS"}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        CACHE_KEY_PREFIX=f"bench:{args.db_name}",
        MEDIA_ROOT=str(bench_state_dir(args.db_name) / "media"),
        PRIVATE_MEDIA_ROOT=str(bench_state_dir(args.db_name) / "private-media"),
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE=PORTAL_SETTINGS,
    )
    os.environ.update(env)
    engine = "postgresql" if database_url.startswith("postgres") else "sqlite"
    cache = "redis" if env.get("REDIS_URL") else "locmem"
    log(f"database {engine} ({args.db_name}), cache {cache}; migrating and seeding")
    sources = prepare(args, chosen)

    options = GunicornOptions(
        workers=args.workers, worker_class=args.worker_class, threads=args.threads
    )
    servers = {
        "floor": Server(
            name="floor",
            app="bench.floor.wsgi:application",
            env={**env, "DJANGO_SETTINGS_MODULE": FLOOR_SETTINGS},
            options=options,
            log_path=bench_state_dir(args.db_name) / "floor.log",
            ready_path="/",
            times_path=bench_state_dir(args.db_name) / "floor.times",
        ),
        "portal": Server(
            name="portal",
            app="portal.wsgi:application",
            env=env,
            options=options,
            log_path=bench_state_dir(args.db_name) / "portal.log",
            ready_path="/healthz",
            times_path=bench_state_dir(args.db_name) / "portal.times",
        ),
    }
    needed = {scenario.server for scenario in chosen}
    with ExitStack() as stack:
        for name in needed:
            server = servers[name]
            stack.callback(server.stop)
            server.start()
        try:
            for name in needed:
                servers[name].wait_ready()
        except ServerFailed as exc:
            log(str(exc))
            return 2
        log(
            f"floor and portal up ({options.describe()} each); client: {args.concurrency} "
            f"connections, {args.warmup:g} s warm-up + {args.duration:g} s per run"
        )
        runs = measure(args, servers, sources, plan(chosen, args.rounds))

    attach_server_times(runs, servers)  # the servers have stopped: every record is written
    rows = summarise(runs, chosen)
    meta = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "database": engine,
        "cache": cache,
        "gunicorn": options.describe(),
        "client": "bench.loadgen (asyncio HTTP/1.1 keep-alive)",
        "concurrency": args.concurrency,
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "big_community": f"{args.buildings} buildings x {args.units_per_building} units",
        "ports": {name: servers[name].port for name in sorted(needed)},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"meta": meta, "rows": rows, "runs": [run.as_json() for run in runs]},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print()
    print(
        f"Last100 bench {meta['at']} commit {meta['commit']}: {engine}, cache {cache}, "
        f"gunicorn {meta['gunicorn']}, {args.concurrency} connections, "
        f"{args.duration:g} s x {args.rounds} per scenario, floor interleaved"
    )
    print(format_table(rows))
    for run in runs:
        for sample in run.result.error_samples:
            print(f"  {run.scenario} error: {sample}")
    print(f"(written to {args.json})")
    return 0 if all(row["result"] != "fail" for row in rows) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # noqa: BLE001 - any failure here is the harness's
        traceback.print_exc()
        sys.exit(2)
