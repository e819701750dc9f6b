"""`python -m bench.run` (`make bench`): load the floor and the portal's scenarios with the
same client, interleaved (floor, scenario, floor, scenario, ..., floor), and print
requests/s, client p50/p95/p99, server p50/p95, errors and each scenario's ratio to the
floor runs on either side of it. The table is also written to var/bench/last.json.

Client latency is measured by the load client from sending a request to reading its whole
response, so it includes the time the request waits in the listening socket's backlog
and for a free worker thread. Server time is measured inside the gunicorn worker, from
when it begins handling the request (headers read) until the response is written
(bench/gunicorn.conf.py's pre_request/post_request hooks): what the application costs.

Database: a dedicated database (`--db-name`, default last100_bench) on the PostgreSQL
server of DATABASE_URL (`make bench` starts the embedded one when it is unset), created if
missing. It is migrated and seeded (seed_demo, then each scenario's set-up) before
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
import statistics
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
WORK_FLOOR_SETTINGS = "bench.work_floor.settings"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per run")
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
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times to run each scenario; every figure is the median of its runs",
    )
    parser.add_argument(
        "--no-offline",
        action="store_true",
        help="skip the controller's offline decision figure (bench.offline)",
    )
    parser.add_argument("--db-name", default="last100_bench", help="bench database name")
    parser.add_argument("--buildings", type=int, default=200, help="big community's buildings")
    parser.add_argument("--units-per-building", type=int, default=100)
    parser.add_argument("--no-seed-demo", action="store_true", help="skip manage.py seed_demo")
    parser.add_argument("--json", type=Path, default=OUT_DIR / "last.json", help="JSON output")
    args = parser.parse_args(argv)
    unknown = [name for name in args.only or [] if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; known: {list(SCENARIOS)}")
    if (
        args.duration <= 0
        or args.warmup < 0
        or args.concurrency < 1
        or args.workers < 1
        or args.rounds < 1
    ):
        parser.error("--duration and --concurrency/--workers must be positive")
    return args


# --- the bench database ------------------------------------------------------------------


def bench_state_dir(db_name: str) -> Path:
    """var/bench/<db-name>/: the bench database's media files (site maps). The database and
    this folder go together."""
    return OUT_DIR / db_name


def bench_database_url(db_name: str) -> str:
    """The bench database's URL, on the PostgreSQL server of DATABASE_URL. A database whose
    state folder is gone (`make clean`) is dropped and made afresh: its rows would point at missing
    media files."""
    state = bench_state_dir(db_name)
    base = os.environ.get("DATABASE_URL", "")
    parsed = urlparse(base)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit("bench: DATABASE_URL must name a PostgreSQL server (make bench sets it)")
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

    @property
    def cpu_ms(self) -> float | None:
        """The server workers' CPU milliseconds per completed request in the window."""
        cpu, requests = self.result.server_cpu_seconds, self.result.requests
        return round(cpu * 1000 / requests, 3) if cpu is not None and requests else None

    @property
    def server_p95(self) -> float | None:
        return _rounded(loadgen.percentile(sorted(self.server_ms), 95)) if self.server_ms else None

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
            "server_cpu_ms_per_request": self.cpu_ms,
            "avg_body_bytes": round(r.body_bytes / r.requests) if r.requests else 0,
            "statuses": {str(k): v for k, v in sorted(r.statuses.items())},
            "error_samples": r.error_samples,
            "floor_before_rps": self.floor_before,
            "floor_after_rps": self.floor_after,
        }


def _rounded(value: float) -> float:
    return round(value, 2)


def plan(chosen: list[Scenario], rounds: int) -> list[tuple[Scenario, int]]:
    """floor, s1, floor, s2, floor, ... : every scenario run sits between two floor runs.
    A scenario judged against a second floor (`reference`, the work floor) sits between
    two runs of it too: floor, work_floor, scan_verify, work_floor, floor."""
    referenced = {s.reference for s in chosen if s.reference}
    sequence: list[tuple[Scenario, int]] = [(FLOOR, 0)]
    for round_ in range(rounds):
        for scenario in chosen:
            if scenario is FLOOR or scenario.name in referenced:
                continue
            if scenario.reference:
                reference = SCENARIOS[scenario.reference]
                sequence += [(reference, round_), (scenario, round_), (reference, round_)]
            else:
                sequence.append((scenario, round_))
            sequence.append((FLOOR, round_))
    if len(sequence) == 1:  # only the floor was asked for
        sequence += [(FLOOR, round_) for round_ in range(1, rounds)]
    return sequence


def with_references(chosen: list[Scenario]) -> list[Scenario]:
    """The floor first, then the second floors the chosen scenarios are judged against,
    then the chosen ones."""
    out = [FLOOR]
    for scenario in chosen:
        if scenario.reference and SCENARIOS[scenario.reference] not in out:
            out.append(SCENARIOS[scenario.reference])
    return out + [s for s in chosen if s not in out]


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
            probe=server.cpu_seconds,
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


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _neighbour_run(runs: list[Run], position: int, step: int, name: str) -> Run | None:
    """The nearest run of `name` before (step -1) or after (+1) `position`."""
    position += step
    while 0 <= position < len(runs):
        if runs[position].scenario == name:
            return runs[position]
        position += step
    return None


def _reference_figures(
    runs: list[Run], position: int, name: str
) -> tuple[float, float | None, float | None]:
    """A run's requests/s over the mean of the reference's runs just before and after it,
    its server p95 and its workers' CPU per request as multiples of theirs (None without
    those figures)."""
    run_ = runs[position]
    around = [
        r
        for r in (_neighbour_run(runs, position, -1, name), _neighbour_run(runs, position, 1, name))
        if r is not None
    ]
    rps = _mean([r.result.rps for r in around])
    p95 = _mean([r.server_p95 for r in around])
    ratio = run_.result.rps / rps if rps else 0.0
    multiple = run_.server_p95 / p95 if p95 and run_.server_p95 is not None else None
    cpu = _mean([r.cpu_ms for r in around])
    cpu_multiple = run_.cpu_ms / cpu if cpu and run_.cpu_ms is not None else None
    return ratio, multiple, cpu_multiple


def summarise(runs: list[Run], chosen: list[Scenario]) -> list[dict]:
    """One row per scenario, floor first. Each figure is the median of the scenario's runs'
    (`--rounds`): its requests/s, latencies and its ratio to the mean of the floor runs
    either side of it (and, with a `reference`, to the reference's runs either side).
    Errors fail a scenario outright."""
    rows = []
    for scenario in [FLOOR, *(s for s in chosen if s is not FLOOR)]:
        positions = [i for i, run_ in enumerate(runs) if run_.scenario == scenario.name]
        mine = [runs[i] for i in positions]
        if not mine:
            continue
        errors = sum(run_.result.errors for run_ in mine)
        ratios = [1.0] * len(mine)
        if scenario is not FLOOR:
            ratios = []
            for run_ in mine:
                floor_rps = _mean([run_.floor_before, run_.floor_after])
                ratios.append(run_.result.rps / floor_rps if floor_rps else 0.0)
        ratio = _median(ratios) or 0.0
        server_p95 = _median([run_.server_p95 for run_ in mine])
        server_p95 = _rounded(server_p95) if server_p95 is not None else None
        reference_ratios: list[float] = []
        multiples: list[float | None] = []
        cpu_multiples: list[float | None] = []
        if scenario.reference:
            for position in positions:
                one, multiple, cpu = _reference_figures(runs, position, scenario.reference)
                reference_ratios.append(round(one, 3))
                multiples.append(round(multiple, 3) if multiple is not None else None)
                cpu_multiples.append(round(cpu, 3) if cpu is not None else None)
        reference_ratio = _median(reference_ratios)
        p95_multiple = _median(multiples)
        checks = []
        if scenario.target_ratio is not None:
            checks.append(ratio >= scenario.target_ratio)
        if scenario.server_p95_max_ms is not None:
            # No server figures (the hooks did not run) cannot show the bar is met.
            checks.append(server_p95 is not None and server_p95 <= scenario.server_p95_max_ms)
        if scenario.reference_ratio_min is not None:
            checks.append(
                reference_ratio is not None and reference_ratio >= scenario.reference_ratio_min
            )
        if scenario.reference_p95_max is not None:
            checks.append(p95_multiple is not None and p95_multiple <= scenario.reference_p95_max)
        if not checks:
            verdict = "fail" if errors else "-"
        else:
            verdict = "pass" if all(checks) and not errors else "fail"
        server_p50 = _median(
            [loadgen.percentile(sorted(r.server_ms), 50) if r.server_ms else None for r in mine]
        )
        rows.append(
            {
                "scenario": scenario.name,
                "runs": len(mine),
                "rps": round(_median([r.result.rps for r in mine]) or 0.0, 1),
                "p50_ms": round(_median([r.result.percentile_ms(50) for r in mine]) or 0.0, 2),
                "p95_ms": round(_median([r.result.percentile_ms(95) for r in mine]) or 0.0, 2),
                "p99_ms": round(_median([r.result.percentile_ms(99) for r in mine]) or 0.0, 2),
                "server_p50_ms": _rounded(server_p50) if server_p50 is not None else None,
                "server_p95_ms": server_p95,
                "server_p95s_ms": [r.server_p95 for r in mine],
                "requests": sum(r.result.requests for r in mine),
                "server_requests": sum(len(r.server_ms) for r in mine),
                "errors": errors,
                "ratio": round(ratio, 3),
                "ratios": [round(v, 3) for v in ratios],
                "target": scenario.target_ratio,
                "server_p95_target_ms": scenario.server_p95_max_ms,
                "reference": scenario.reference,
                "reference_ratio": reference_ratio,
                "reference_ratios": reference_ratios,
                "reference_ratio_target": scenario.reference_ratio_min,
                "reference_p95_multiple": p95_multiple,
                "reference_p95_multiples": multiples,
                "reference_p95_target": scenario.reference_p95_max,
                "reference_cpu_multiple": _median(cpu_multiples),
                "reference_cpu_multiples": cpu_multiples,
                "server_cpu_ms_per_request": _median([r.cpu_ms for r in mine]),
                "server_cpu_ms_per_request_runs": [r.cpu_ms for r in mine],
                "result": verdict,
                "description": scenario.description,
            }
        )
    return rows


def _ms_cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _target_cell(row: dict) -> str:
    """The scenario's bars: a ratio to the floor, a server-time p95, ratios to a second
    floor, or none."""
    parts = []
    if row.get("target") is not None:
        parts.append(f">= {row['target']:.2f}")
    if row.get("server_p95_target_ms") is not None:
        parts.append(f"server p95 <= {row['server_p95_target_ms']:g} ms")
    if row.get("reference_ratio_target") is not None:
        parts.append(f">= {row['reference_ratio_target']:.2f} x {row['reference']}")
    if row.get("reference_p95_target") is not None:
        parts.append(f"server p95 <= {row['reference_p95_target']:g} x {row['reference']}'s")
    return ", ".join(parts) or "-"


def _figures(values: list) -> str:
    return ", ".join("-" if v is None else f"{v:g}" for v in values)


def format_bars(rows: list[dict], offline: dict | None = None) -> str:
    """The issue-18 lines under the table: each scenario judged against a second floor
    (its requests/s ratio and server p95 multiple), each server-time bar, and the
    controller's offline decision; medians of the runs, each run's figure in brackets."""
    by_name = {row["scenario"]: row for row in rows}
    lines = []
    for row in rows:
        reference = by_name.get(row.get("reference") or "")
        if reference is None:
            continue
        name, ref = row["scenario"], reference["scenario"]
        ratio, multiple = row["reference_ratio"], row["reference_p95_multiple"]
        for shown in (reference, row):
            lines.append(
                f"{shown['scenario']:<12} {shown['rps']:9.1f} req/s  server p95 "
                f"{_ms_cell(shown['server_p95_ms'])} ms  workers' CPU "
                f"{_ms_cell(shown.get('server_cpu_ms_per_request'))} ms/request  "
                f"(ratio to the floor {shown['ratio']:.3f})"
            )
        if row.get("reference_ratio_target") is not None:
            met = ratio is not None and ratio >= row["reference_ratio_target"]
            lines.append(
                f"{name} / {ref} requests/s: "
                + ("-" if ratio is None else f"{ratio:.3f}")
                + f" [{_figures(row['reference_ratios'])}]"
                f"  bar >= {row['reference_ratio_target']:g}  {'pass' if met else 'fail'}"
            )
        if row.get("reference_p95_target") is not None:
            met = multiple is not None and multiple <= row["reference_p95_target"]
            lines.append(
                f"{name} server p95 / {ref}'s: "
                + ("-" if multiple is None else f"{multiple:.2f}x")
                + f" [{_figures(row['reference_p95_multiples'])}]"
                f"  bar <= {row['reference_p95_target']:g}x  {'pass' if met else 'fail'}"
            )
        cpu = row.get("reference_cpu_multiple")
        if cpu is not None:
            lines.append(
                f"{name} workers' CPU per request / {ref}'s: {cpu:.2f}x "
                f"[{_figures(row['reference_cpu_multiples'])}]  (no bar: Python in the "
                "gunicorn workers only, hardly moved by the machine's load)"
            )
    for row in rows:
        if row.get("server_p95_target_ms") is None:
            continue
        p95 = row["server_p95_ms"]
        met = p95 is not None and p95 <= row["server_p95_target_ms"]
        lines.append(
            f"{row['scenario']} server p95: {_ms_cell(p95)} ms [{_figures(row['server_p95s_ms'])}]"
            f"  bar <= {row['server_p95_target_ms']:g} ms  {'pass' if met else 'fail'}"
        )
    if offline:
        lines.append(offline_line(offline))
    return "\n".join(lines)


def offline_line(offline: dict) -> str:
    return (
        f"offline decision (tools/gatesim, {offline['entries']:,} passes, in-process): "
        f"p50 {offline['p50_ms']:.3f} ms, p95 {offline['p95_ms']:.3f} ms, "
        f"{offline['scans_per_core_s']:,.0f} scans/s per core "
        f"[p95 {_figures(offline['p95s_ms'])}; scans/s {_figures(offline['rates'])}]"
        f"  bar p95 <= {offline['p95_target_ms']:g} ms  {offline['result']}"
    )


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
    chosen = with_references(chosen)

    database_url = bench_database_url(args.db_name)
    env = {key: value for key, value in os.environ.items() if key != "GUNICORN_CMD_ARGS"}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        CACHE_KEY_PREFIX=f"bench:{args.db_name}",
        MEDIA_ROOT=str(bench_state_dir(args.db_name) / "media"),
        PRIVATE_MEDIA_ROOT=str(bench_state_dir(args.db_name) / "private-media"),
        # Kept after ROOT: a clock-shifted test run puts its sitecustomize there, and the
        # servers must keep the client's clock (tests/clockshift).
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        DJANGO_SETTINGS_MODULE=PORTAL_SETTINGS,
        BENCH_WORK_FLOOR_CONFIG=str(bench_state_dir(args.db_name) / "work_floor.json"),
    )
    os.environ.update(env)
    engine, cache = "postgresql", "redis"  # the only ones (one path, laptop to production)
    log(f"database {args.db_name}, cache redis; migrating and seeding")
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
        "work_floor": Server(
            name="work_floor",
            app="bench.work_floor.wsgi:application",
            env={**env, "DJANGO_SETTINGS_MODULE": WORK_FLOOR_SETTINGS},
            options=options,
            log_path=bench_state_dir(args.db_name) / "work_floor.log",
            ready_path="/",
            times_path=bench_state_dir(args.db_name) / "work_floor.times",
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
            f"{', '.join(sorted(needed))} up ({options.describe()} each); client: "
            f"{args.concurrency} connections, {args.warmup:g} s warm-up + "
            f"{args.duration:g} s per run"
        )
        runs = measure(args, servers, sources, plan(chosen, args.rounds))

    attach_server_times(runs, servers)  # the servers have stopped: every record is written
    rows = summarise(runs, chosen)
    offline = None
    if not args.no_offline:
        from .offline import measure_rounds

        log("offline decision: tools/gatesim against 50,000 passes, in this process")
        offline = measure_rounds(rounds=3)
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
            {
                "meta": meta,
                "rows": rows,
                "offline": offline,
                "runs": [run.as_json() for run in runs],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print()
    print(
        f"Last100 bench {meta['at']} commit {meta['commit']}: {engine}, cache {cache}, "
        f"gunicorn {meta['gunicorn']}, {args.concurrency} connections, "
        f"{args.duration:g} s x {args.rounds} per scenario, floor interleaved; "
        f"figures are medians of the {args.rounds} runs"
    )
    print(format_table(rows))
    bars = format_bars(rows, offline)
    if bars:
        print()
        print(bars)
    for run in runs:
        for sample in run.result.error_samples:
            print(f"  {run.scenario} error: {sample}")
    print(f"(written to {args.json})")
    passed = all(row["result"] != "fail" for row in rows)
    return 0 if passed and (offline is None or offline["result"] == "pass") else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # noqa: BLE001 - any failure here is the harness's
        traceback.print_exc()
        sys.exit(2)
