"""`python -m bench.scale.run` (`make bench-scale`): every scenario of `make bench` on the
small demo data and on the large generated data, in one run, then one table with both and
their ratio (target: large within 1.5x of small), and EXPLAIN of the hot queries on the
large database.

The two data sets are measured in alternation (small, large, small, large, ...;
--alternations, default 3) and each large run is compared with the small run just before
it; the table gives the median of those ratios and their spread. On a shared machine
whose load changes by the minute, one small-then-large pass could otherwise report the
load, not the data.

Needs PostgreSQL (DATABASE_URL: the server; the bench uses its own databases on it).
The large database is generated once (`manage.py generate_load_data`) and kept: a marker
row with the same sizes means it is reused. SCALE=small (or --scale small) makes a quick
set (20,000 riders, 200 communities, 100,000 events) instead of the issue's numbers.
Other arguments go to `bench.run` as they are (--duration, --only, --rounds, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "var" / "bench"
TARGET = 1.5
SIZES = {
    "full": ["--riders=1000000", "--communities=10000", "--events=5000000", "--huge=3"],
    "small": [
        "--riders=20000",
        "--communities=200",
        "--events=100000",
        "--huge=1",
        "--huge-grants=10000",
        "--huge-units=2000",
    ],
}


def log(message: str) -> None:
    print(f"bench-scale: {message}", file=sys.stderr, flush=True)


def _manage(db_url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _marker(db_url: str) -> dict | None:
    import psycopg

    with psycopg.connect(db_url.replace("postgres://", "postgresql://", 1)) as conn:
        exists = conn.execute("SELECT to_regclass('scale_load_data')").fetchone()[0]
        if not exists:
            return None
        row = conn.execute(
            "SELECT params, seconds FROM scale_load_data ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return None if row is None else {"params": row[0], "seconds": row[1]}


def vacuum_analyze(db_url: str, db_name: str) -> None:
    """VACUUM (ANALYZE) the kept large database before it is measured: what autovacuum does
    in production (it is off on the bench machine). Each bench run adds rows (resolutions
    and their rolls, events, riders); with statistics of the day it was generated the
    planner misjudged the grown tables (a 250,000-entry roll table estimated at 13,000
    rows), and without a visibility map index-only scans read the heap."""
    import psycopg

    started = time.perf_counter()
    url = db_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    log(f"{db_name}: VACUUM (ANALYZE) in {time.perf_counter() - started:.1f} s")


def large_database(db_name: str, sizes: list[str], seed: int) -> str:
    """The large database's URL, generated unless a marker says it holds these sizes."""
    from ..run import bench_database_url

    url = bench_database_url(db_name)
    wanted = {a.split("=")[0].lstrip("-").replace("-", "_"): int(a.split("=")[1]) for a in sizes}
    wanted["seed"] = seed
    marker = _marker(url)
    if marker and all(marker["params"].get(k) == v for k, v in wanted.items()):
        log(f"{db_name}: reusing the generated data ({marker['seconds']:.0f} s to generate)")
        return url
    log(f"{db_name}: generating {' '.join(sizes)} (once; kept for later runs)")
    _manage(url, "migrate", "--noinput", "-v0")
    started = time.perf_counter()
    _manage(url, "generate_load_data", *sizes, f"--seed={seed}", "--force")
    log(f"{db_name}: generated in {(time.perf_counter() - started) / 60:.1f} min")
    return url


def bench(db_name: str, json_path: Path, passthrough: list[str]) -> dict:
    # One round per bench.run: the alternations are the rounds here (a --rounds among the
    # passed-through arguments wins). Ours last, so a --db-name or --json cannot win.
    rounds = [] if any(a.startswith("--rounds") for a in passthrough) else ["--rounds", "1"]
    command = [sys.executable, "-m", "bench.run", *rounds, *passthrough]
    command += ["--db-name", db_name, "--json", str(json_path)]
    json_path.unlink(missing_ok=True)  # never read an earlier run's figures
    log("running " + " ".join(command[1:]))
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode == 2 or not json_path.exists():
        raise SystemExit(f"bench-scale: bench.run on {db_name} could not run")
    return json.loads(json_path.read_text())


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}" if len(values) > 1 else "-"


def table(pairs: list[tuple[dict, dict]]) -> tuple[str, bool, list[dict]]:
    """One row per scenario over the alternations (small run, then large run, N times):
    the medians of small and large p50 and ratio-to-floor, and the medians (with their
    spread) of the per-alternation ratios large/small of p50 latency and of throughput
    (normalised by each run's floor). Pairing each large run with the small run just
    before it keeps a change in the machine's load out of the ratio."""
    header = (
        "scenario",
        "small p50 ms",
        "large p50 ms",
        "p50 ratio",
        "spread",
        "small x floor",
        "large x floor",
        "slowdown",
        "spread",
        "target",
        "result",
    )
    names = [row["scenario"] for row in pairs[0][0]["rows"] if row["scenario"] != "floor"]
    lines, ok, rows = [], True, []
    for name in names:
        small_rows, large_rows = [], []
        for small, large in pairs:
            by_small = {row["scenario"]: row for row in small["rows"]}
            by_large = {row["scenario"]: row for row in large["rows"]}
            if name in by_small and name in by_large:
                small_rows.append(by_small[name])
                large_rows.append(by_large[name])
        if not small_rows:
            continue
        p50_ratios = [
            big["p50_ms"] / row["p50_ms"] if row["p50_ms"] else float("inf")
            for row, big in zip(small_rows, large_rows, strict=True)
        ]
        slowdowns = [
            row["ratio"] / big["ratio"] if big["ratio"] else float("inf")
            for row, big in zip(small_rows, large_rows, strict=True)
        ]
        errors = sum(r["errors"] for r in small_rows + large_rows)
        p50_ratio, slowdown = statistics.median(p50_ratios), statistics.median(slowdowns)
        passed = slowdown <= TARGET and p50_ratio <= TARGET and not errors
        ok &= passed
        result = {
            "scenario": name,
            "small_p50_ms": statistics.median(r["p50_ms"] for r in small_rows),
            "large_p50_ms": statistics.median(r["p50_ms"] for r in large_rows),
            "p50_ratio": round(p50_ratio, 3),
            "p50_ratios": [round(v, 3) for v in p50_ratios],
            "small_x_floor": statistics.median(r["ratio"] for r in small_rows),
            "large_x_floor": statistics.median(r["ratio"] for r in large_rows),
            "slowdown": round(slowdown, 3),
            "slowdowns": [round(v, 3) for v in slowdowns],
            "errors": errors,
            "pass": passed,
        }
        rows.append(result)
        lines.append(
            (
                name,
                f"{result['small_p50_ms']:.2f}",
                f"{result['large_p50_ms']:.2f}",
                f"{p50_ratio:.2f}",
                _spread(p50_ratios),
                f"{result['small_x_floor']:.3f}",
                f"{result['large_x_floor']:.3f}",
                f"{slowdown:.2f}",
                _spread(slowdowns),
                f"<= {TARGET}",
                ("pass" if passed else "fail") + (" (errors)" if errors else ""),
            )
        )
    widths = [max(len(c) for c in col) for col in zip(header, *lines, strict=True)]
    out = []
    for number, line in enumerate([header, *lines]):
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if number == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out), ok, rows


def _median_of(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def bars_table(pairs: list[tuple[dict, dict]]) -> tuple[str, bool]:
    """The issue-18 bars on each data set, medians over the alternations (each one's figure
    in brackets): every scenario judged against a second floor (scan_verify against the
    work floor: requests/s ratio, server p95 multiple), every server-time bar
    (registration), and the controller's offline decision (no data set: all runs)."""
    lines, ok = [], True
    first = {row["scenario"]: row for row in pairs[0][0]["rows"]}

    def cell(runs: list[dict], name: str, key: str) -> tuple[float | None, str]:
        values = [
            next((r.get(key) for r in run["rows"] if r["scenario"] == name), None) for run in runs
        ]
        value = _median_of(values)
        shown = "-" if value is None else f"{value:.3g}"
        return value, f"{shown} [{', '.join('-' if v is None else f'{v:.3g}' for v in values)}]"

    def line(label: str, name: str, key: str, bar: float | None, above: bool) -> None:
        nonlocal ok
        cells, verdicts = [], []
        for runs in ([small for small, _ in pairs], [large for _, large in pairs]):
            value, text = cell(runs, name, key)
            cells.append(text)
            if bar is not None:
                met = value is not None and (value >= bar if above else value <= bar)
                verdicts.append("pass" if met else "fail")
                ok &= met
        bar_text = "-" if bar is None else (">= " if above else "<= ") + f"{bar:g}"
        lines.append(
            f"{label:<42}{cells[0]:>28}{cells[1]:>28}  {bar_text:>8}  {'/'.join(verdicts)}"
        )

    for name, row in first.items():
        reference = row.get("reference")
        if not reference:
            continue
        line(f"{reference} req/s", reference, "rps", None, True)
        line(f"{name} req/s", name, "rps", None, True)
        if row.get("reference_ratio_target") is not None:
            line(
                f"{name} / {reference} requests/s",
                name,
                "reference_ratio",
                row["reference_ratio_target"],
                True,
            )
        if row.get("reference_p95_target") is not None:
            line(
                f"{name} server p95 / {reference}'s",
                name,
                "reference_p95_multiple",
                row["reference_p95_target"],
                False,
            )
    for name, row in first.items():
        if row.get("server_p95_target_ms") is not None:
            line(f"{name} server p95 ms", name, "server_p95_ms", row["server_p95_target_ms"], False)
    header = f"{'bar':<42}{'small':>28}{'large':>28}  {'target':>8}  result (small/large)"
    out = [header, "-" * len(header), *lines]
    offline = [run.get("offline") for pair in pairs for run in pair if run.get("offline")]
    if offline:
        p95 = _median_of([o["p95_ms"] for o in offline])
        p50 = _median_of([o["p50_ms"] for o in offline])
        rate = _median_of([o["scans_per_core_s"] for o in offline])
        met = p95 is not None and p95 <= offline[0]["p95_target_ms"]
        ok &= met
        out.append(
            f"offline decision (tools/gatesim, {offline[0]['entries']:,} passes, in-process), "
            f"median of {len(offline)} runs: p50 {p50:.3f} ms, p95 {p95:.3f} ms, "
            f"{rate:,.0f} scans/s per core  bar p95 <= {offline[0]['p95_target_ms']:g} ms  "
            + ("pass" if met else "fail")
        )
    return "\n".join(out), ok


GATESYNC_FIGURES = (
    ("delta_bytes_one_change", "delta bytes, one change"),
    ("snapshot_seconds", "snapshot of the list, s"),
    ("change_to_applied_p95", "change -> applied p95, s"),
    ("fleet_change_seconds", "one change -> fleet, s"),
)


def gatesync(db_name: str, json_path: Path, args: list[str]) -> dict | None:
    """bench.gatesync in the same database: its own community and controllers beside the
    data set (a real worker, Redis and simulators)."""
    json_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bench.gatesync", *args]
    command += ["--db-name", db_name, "--json", str(json_path)]
    log("running " + " ".join(command[1:]))
    subprocess.run(command, cwd=ROOT, check=False)
    return json.loads(json_path.read_text()) if json_path.exists() else None


def gatesync_table(small: dict | None, large: dict | None) -> tuple[str, bool]:
    if not small or not large:
        return "gate sync: the bench did not run on both databases", False
    lines, ok = [], True
    for key, label in GATESYNC_FIGURES:
        if key not in small or key not in large:
            continue
        ratio = large[key] / small[key] if small[key] else float("inf")
        # Bytes are exact; a few hundredths of a second are below what a shared machine
        # can tell apart, so tiny figures pass within 0.1 s.
        passed = ratio <= TARGET or (key != "delta_bytes_one_change" and large[key] < 0.1)
        ok &= passed
        lines.append(
            f"{label:<28}{small[key]:>12}{large[key]:>12}{ratio:>8.2f}  "
            + ("pass" if passed else "fail")
        )
    header = f"{'gate sync':<28}{'small':>12}{'large':>12}{'ratio':>8}  result"
    return "\n".join([header, "-" * len(header), *lines]), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--scale", choices=sorted(SIZES), default=os.environ.get("SCALE", "full") or "full"
    )
    parser.add_argument("--small-db", default="last100_scale_small")
    parser.add_argument("--large-db", default=None, help="default last100_scale_<scale>")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--gatesync-args",
        default="--entries 50000 --changes 20 --fleet 200",
        help="arguments for bench.gatesync on each database ('' skips it)",
    )
    parser.add_argument(
        "--alternations",
        type=int,
        default=3,
        help="small run then large run, this many times; the table gives the medians",
    )
    args, passthrough = parser.parse_known_args(argv)
    if args.alternations < 1:
        parser.error("--alternations must be at least 1")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        log("needs PostgreSQL: set DATABASE_URL=postgres://... (the server to use)")
        return 2
    large_db = args.large_db or f"last100_scale_{args.scale}"
    sizes = SIZES[args.scale]
    started = time.perf_counter()
    vacuum_analyze(large_database(large_db, sizes, args.seed), large_db)
    pairs = []
    for number in range(1, args.alternations + 1):
        log(f"alternation {number} of {args.alternations}")
        small = bench(args.small_db, OUT / f"scale-small-{number}.json", passthrough)
        large = bench(large_db, OUT / f"scale-large-{number}.json", passthrough)
        pairs.append((small, large))
    explain_out = OUT / f"scale-explain-{large_db}.txt"
    subprocess.run(
        [sys.executable, "-m", "bench.scale.explain", "--db-name", large_db, "--out", explain_out],
        cwd=ROOT,
        check=False,
    )
    sync_text, sync_ok = "", True
    if args.gatesync_args:
        sync_args = args.gatesync_args.split()
        sync_small = gatesync(args.small_db, OUT / "scale-gatesync-small.json", sync_args)
        sync_large = gatesync(large_db, OUT / "scale-gatesync-large.json", sync_args)
        sync_text, sync_ok = gatesync_table(sync_small, sync_large)
    text, ok, rows = table(pairs)
    bars_text, bars_ok = bars_table(pairs)
    ok &= sync_ok and bars_ok
    print()
    print(
        f"Last100 bench-scale: small = demo data ({args.small_db}), large = {' '.join(sizes)} "
        f"({large_db}); p50 ratio = large/small median latency, slowdown = small/large "
        f"throughput as a ratio to the floor of its own run; medians of {args.alternations} "
        f"alternations (spread: their range); {time.perf_counter() - started:.0f} s"
    )
    print(text)
    print()
    print(bars_text)
    if sync_text:
        print()
        print(sync_text)
    print(f"(EXPLAIN (ANALYZE, BUFFERS) of the hot queries: {explain_out})")
    (OUT / "scale-last.json").write_text(
        json.dumps(
            {
                "rows": rows,
                "runs": [{"small": sm["rows"], "large": lg["rows"]} for sm, lg in pairs],
                "pass": ok,
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
