"""The benchmark harness (`make bench`): its load client, its interleaving and ratio
arithmetic, and one short real run against both gunicorn servers. No timing thresholds:
the machine is shared, so only the shape of the results is asserted."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bench import loadgen, run
from bench.scenarios import FLOOR, SCENARIOS, Scenario, register

ROOT = Path(__file__).resolve().parent.parent


class _Handler(BaseHTTPRequestHandler):
    """/ok answers 200 with a length, /chunked 200 chunked, /close 200 then closes,
    anything else 404."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"world"):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"ok": true}' if self.path in ("/ok", "/close") else b"missing"
        self.send_response(200 if self.path in ("/ok", "/close") else 404)
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tiny_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/ok", "/chunked", "/close"])
def test_load_client_reads_every_response_framing_without_errors(tiny_server, path):
    result = loadgen.load(
        "t",
        "127.0.0.1",
        tiny_server,
        loadgen.Request(path=path),
        concurrency=2,
        warmup=0.05,
        duration=0.3,
    )
    assert result.requests > 0
    assert result.errors == 0
    assert result.statuses == {200: result.requests}
    assert result.rps > 0
    assert 0 < result.percentile_ms(50) <= result.percentile_ms(99)


def test_load_client_counts_non_2xx_as_errors_and_keeps_samples(tiny_server):
    result = loadgen.load(
        "t",
        "127.0.0.1",
        tiny_server,
        loadgen.Request(path="/nope"),
        concurrency=2,
        warmup=0,
        duration=0.2,
    )
    assert result.requests > 0
    assert result.errors == result.requests
    assert result.rps == 0
    assert result.error_samples[0] == "HTTP 404: missing"
    assert len(result.error_samples) <= loadgen.MAX_ERROR_SAMPLES


def test_load_client_calls_a_request_factory_once_per_request(tiny_server):
    seen: list[int] = []

    def factory(number: int) -> loadgen.Request:
        seen.append(number)
        return loadgen.Request(path="/ok")

    result = loadgen.load(
        "t", "127.0.0.1", tiny_server, factory, concurrency=3, warmup=0, duration=0.2
    )
    assert seen == list(range(1, len(seen) + 1))
    assert len(seen) >= result.requests > 0


def test_load_client_reports_a_refused_connection_as_errors():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the load: nothing listens
    result = loadgen.load(
        "t", "127.0.0.1", port, loadgen.Request(), concurrency=1, warmup=0, duration=0.1
    )
    assert result.errors == result.requests > 0
    assert "ConnectionRefusedError" in result.error_samples[0]


def test_percentile_is_nearest_rank():
    assert loadgen.percentile([], 50) == 0.0
    assert loadgen.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert loadgen.percentile([float(n) for n in range(1, 101)], 99) == 99.0
    assert loadgen.percentile([5.0], 99) == 5.0


def test_plan_puts_a_floor_run_on_both_sides_of_every_scenario_run():
    a = Scenario(name="a", description="", setup=lambda c: loadgen.Request())
    b = Scenario(name="b", description="", setup=lambda c: loadgen.Request())
    names = [s.name for s, _ in run.plan([FLOOR, a, b], rounds=2)]
    assert names == ["floor", "a", "floor", "b", "floor", "a", "floor", "b", "floor"]
    assert [s.name for s, _ in run.plan([FLOOR], rounds=3)] == ["floor"] * 3


def _run(name: str, rps: float, errors: int = 0) -> run.Run:
    result = loadgen.LoadResult(name=name, seconds=1.0, latencies_ms=[1.0] * int(rps + errors))
    result.errors = errors
    return run.Run(scenario=name, round=0, result=result)


def test_ratio_is_against_the_floor_runs_either_side_and_errors_fail():
    page = Scenario(name="page", description="", setup=lambda c: None, target_ratio=0.4)
    other = Scenario(name="other", description="", setup=lambda c: None, target_ratio=0.4)
    runs = [
        _run("floor", 1000),
        _run("page", 450),
        _run("floor", 800),
        _run("other", 900, errors=3),
        _run("floor", 1000),
    ]
    for position, item in enumerate(runs):
        if item.scenario != "floor":
            item.floor_before = runs[position - 1].result.rps
            item.floor_after = runs[position + 1].result.rps
    rows = {row["scenario"]: row for row in run.summarise(runs, [FLOOR, page, other])}
    assert rows["floor"]["ratio"] == 1.0
    assert rows["floor"]["rps"] == 1000  # the median of the floor's runs
    assert rows["page"]["ratio"] == pytest.approx(450 / 900, abs=0.001)
    assert rows["page"]["result"] == "pass"
    assert rows["other"]["ratio"] == pytest.approx(900 / 900, abs=0.001)
    assert rows["other"]["result"] == "fail"  # fast, but with errors
    table = run.format_table(list(rows.values()))
    assert table.splitlines()[0].split() == [
        "scenario",
        "requests/s",
        "p50",
        "ms",
        "p95",
        "ms",
        "p99",
        "ms",
        "server",
        "p50",
        "ms",
        "server",
        "p95",
        "ms",
        "errors",
        "ratio",
        "target",
        "result",
    ]


def test_a_server_time_bar_is_judged_on_the_servers_p95_and_needs_its_figures():
    fast = Scenario(name="fast", description="", setup=lambda c: None, server_p95_max_ms=50)
    slow = Scenario(name="slow", description="", setup=lambda c: None, server_p95_max_ms=50)
    blind = Scenario(name="blind", description="", setup=lambda c: None, server_p95_max_ms=50)
    runs = [_run("floor", 1000), _run("fast", 10), _run("slow", 10), _run("blind", 10)]
    runs[1].server_ms = [10.0] * 95 + [400.0] * 5  # p95 10 ms: the slowest 5 % do not count
    runs[2].server_ms = [10.0] * 94 + [400.0] * 6
    rows = {row["scenario"]: row for row in run.summarise(runs, [FLOOR, fast, slow, blind])}
    assert (rows["fast"]["server_p50_ms"], rows["fast"]["server_p95_ms"]) == (10.0, 10.0)
    assert rows["fast"]["result"] == "pass"
    assert rows["slow"]["server_p95_ms"] == 400.0 and rows["slow"]["result"] == "fail"
    assert rows["blind"]["server_p95_ms"] is None and rows["blind"]["result"] == "fail"
    assert rows["floor"]["server_p95_ms"] is None and rows["floor"]["result"] == "-"
    assert "server p95 <= 50 ms" in run.format_table(list(rows.values()))
    assert SCENARIOS["registration"].server_p95_max_ms == 50


def test_server_times_are_the_records_of_requests_begun_in_the_window(tmp_path):
    from bench.servers import SERVER_TIME_RECORD, GunicornOptions, Server

    times = tmp_path / "portal.times"
    records = [(10.0, 0.001), (11.0, 0.002), (12.0, 0.003), (13.0, 0.004)]
    times.write_bytes(b"".join(SERVER_TIME_RECORD.pack(*r) for r in records) + b"\x00" * 5)
    server = Server(
        name="portal",
        app="x",
        env={},
        options=GunicornOptions(),
        log_path=tmp_path / "log",
        ready_path="/",
        times_path=times,
    )
    assert server.server_times_ms((10.5, 12.0)) == pytest.approx([2.0, 3.0])
    assert server.server_times_ms((20.0, 30.0)) == []


def test_a_scenario_name_registers_once():
    with pytest.raises(ValueError, match="registered twice"):
        register(Scenario(name="floor", description="", setup=lambda c: None))
    assert {"floor", "healthz", "rules_page"} <= set(SCENARIOS)
    assert SCENARIOS["rules_page"].target_ratio == 0.40


def _bench_db_name() -> str:
    """Beside the tester's own database, so parallel test runs never share one."""
    url = os.environ.get("DATABASE_URL", "")
    base = urlparse(url).path.lstrip("/") if url else "local"
    return f"{base or 'local'}_bench_smoke"


def test_make_bench_runs_floor_and_portal_and_reports_ratios(tmp_path):
    """A real, very short `python -m bench.run` against both gunicorn servers, on a small
    community in a bench database of its own."""
    out = tmp_path / "last.json"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--duration",
            "0.5",
            "--warmup",
            "0.3",
            "--concurrency",
            "4",
            "--buildings",
            "3",
            "--units-per-building",
            "4",
            "--no-seed-demo",
            "--rounds",
            "1",
            "--no-offline",
            "--only",  # the scenarios asserted below; other apps register more
            "healthz",
            "--only",
            "rules_page",
            "--only",
            "scan_verify",
            "--db-name",
            _bench_db_name(),
            "--json",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # 0: targets met; 1: a target missed on this busy machine. Both mean the harness ran.
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    report = json.loads(out.read_text())
    rows = {row["scenario"]: row for row in report["rows"]}
    assert list(rows) == ["floor", "work_floor", "healthz", "rules_page", "scan_verify"]
    for row in rows.values():
        assert row["requests"] > 0
        assert row["rps"] > 0
        assert row["ratio"] > 0
    assert all(row["errors"] == 0 for row in rows.values()), completed.stdout
    assert rows["rules_page"]["target"] == 0.40
    assert rows["rules_page"]["result"] in ("pass", "fail")
    # Server time from the workers' hooks: a record for (about) every measured request.
    for row in rows.values():
        assert 0 < row["server_p50_ms"] <= row["server_p95_ms"]
        assert row["server_requests"] >= row["requests"] * 0.9
    # Interleaved: floor, healthz, floor, rules_page, floor, and scan_verify between two
    # runs of the work floor.
    assert [r["scenario"] for r in report["runs"]] == [
        "floor",
        "healthz",
        "floor",
        "rules_page",
        "floor",
        "work_floor",
        "scan_verify",
        "work_floor",
        "floor",
    ]
    assert rows["scan_verify"]["reference_ratio"] > 0
    assert rows["scan_verify"]["reference_p95_multiple"] > 0
    assert "scan_verify / work_floor requests/s: " in completed.stdout
    assert "scan_verify server p95 / work_floor's: " in completed.stdout
    # The workers' CPU per request, read from /proc around each measured window.
    for name in ("floor", "work_floor", "scan_verify"):
        assert rows[name]["server_cpu_ms_per_request"] > 0
    assert "scan_verify workers' CPU per request / work_floor's: " in completed.stdout
    assert report["meta"]["gunicorn"] == "2 gthread workers x 4 threads"
    assert "rules_page" in completed.stdout and "ratio" in completed.stdout
    # Both servers were stopped on the way out: nothing listens on their ports any more.
    assert set(report["meta"]["ports"]) == {"floor", "portal", "work_floor"}
    for port in report["meta"]["ports"].values():
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_scenario_can_accept_a_redirect_as_success(tiny_server):
    """The registration scenario's answer is a 302 to /pass/: success, not an error."""
    host, port = "127.0.0.1", tiny_server
    plain = loadgen.load(
        "r", host, port, loadgen.Request(path="/redirect"), concurrency=1, warmup=0, duration=0.3
    )
    assert plain.errors > 0
    accepted = loadgen.load(
        "r",
        host,
        port,
        loadgen.Request(path="/redirect"),
        concurrency=1,
        warmup=0,
        duration=0.3,
        ok_statuses=frozenset({302}),
    )
    assert accepted.errors == 0 and accepted.statuses[302] > 0


def test_plan_puts_the_work_floor_on_both_sides_of_scan_verify():
    a = Scenario(name="a", description="", setup=lambda c: loadgen.Request())
    chosen = run.with_references([a, SCENARIOS["scan_verify"]])
    assert [s.name for s in chosen] == ["floor", "work_floor", "a", "scan_verify"]
    names = [s.name for s, _ in run.plan(chosen, rounds=2)]
    assert (
        names == ["floor"] + ["a", "floor", "work_floor", "scan_verify", "work_floor", "floor"] * 2
    )


def _timed_run(name: str, rps: float, server_p95: float) -> run.Run:
    item = _run(name, rps)
    item.server_ms = [server_p95] * 100
    return item


def test_scan_verify_is_judged_per_run_against_the_work_floor_runs_either_side():
    """Three rounds: each scan_verify run over the mean of the work floor runs around it;
    the row holds the median of the three ratios and of the three p95 multiples."""
    scan = SCENARIOS["scan_verify"]
    runs = [_run("floor", 2000)]
    for work_before, scan_rps, work_after, p95 in (
        (400, 300, 400, 12.0),  # 0.75, 1.2x
        (500, 300, 500, 20.0),  # 0.60, 2.0x
        (300, 270, 300, 9.0),  # 0.90, 0.9x
    ):
        runs += [
            _timed_run("work_floor", work_before, 10.0),
            _timed_run("scan_verify", scan_rps, p95),
            _timed_run("work_floor", work_after, 10.0),
            _run("floor", 2000),
        ]
    for position, item in enumerate(runs):
        if item.scenario != "floor":
            item.floor_before = run._neighbour_floor(runs, position, -1)
            item.floor_after = run._neighbour_floor(runs, position, 1)
    rows = run.summarise(runs, run.with_references([scan]))
    by_name = {row["scenario"]: row for row in rows}
    row = by_name["scan_verify"]
    assert row["reference_ratios"] == [0.75, 0.6, 0.9]
    assert row["reference_ratio"] == 0.75
    assert row["reference_p95_multiples"] == [1.2, 2.0, 0.9]
    assert row["reference_p95_multiple"] == 1.2
    assert row["ratio"] == 0.15  # to the bare floor: the median of 0.15, 0.15, 0.135
    assert row["result"] == "pass"
    assert by_name["work_floor"]["runs"] == 6
    bars = run.format_bars(rows).splitlines()
    assert "scan_verify / work_floor requests/s: 0.750 [0.75, 0.6, 0.9]  bar >= 0.75  pass" in bars
    assert "scan_verify server p95 / work_floor's: 1.20x [1.2, 2, 0.9]  bar <= 1.5x  pass" in bars
    assert any(line.startswith("work_floor ") and "req/s" in line for line in bars)

    runs[2].server_ms = [48.0] * 100  # the first run's multiple becomes 4.8x: median 2x
    row = {r["scenario"]: r for r in run.summarise(runs, [FLOOR, scan])}["scan_verify"]
    assert row["reference_p95_multiple"] == 2.0 and row["result"] == "fail"


def test_registration_bar_line_reports_the_median_server_p95_of_its_runs():
    registration = SCENARIOS["registration"]
    runs = [_run("floor", 1000)]
    for p95 in (40.0, 60.0, 45.0):
        runs += [_timed_run("registration", 100, p95), _run("floor", 1000)]
    rows = run.summarise(runs, [FLOOR, registration])
    lines = run.format_bars(rows).splitlines()
    assert "registration server p95: 45.00 ms [40, 60, 45]  bar <= 50 ms  pass" in lines


def test_offline_decision_figure_drives_gatesim_and_prints_its_line():
    from bench import offline

    result = offline.measure_rounds(rounds=2, entries=1000, scans=40)
    assert result["reasons"] == {"ok": 40}  # every scan went through every check
    assert result["entries"] == 1000 and len(result["rates"]) == 2
    assert 0 < result["p50_ms"] <= result["p95_ms"]
    line = run.offline_line(result)
    assert line.startswith("offline decision (tools/gatesim, 1,000 passes, in-process): p50 ")
    assert line.endswith("bar p95 <= 5 ms  pass")
    assert result["result"] == "pass"  # in-process, 40 scans: far below the 5-ms bar
    assert run.format_bars([], result) == line
