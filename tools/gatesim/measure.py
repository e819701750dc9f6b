"""`python -m tools.gatesim.measure`: time the simulator on its own (docs/gatesim.md,
"Measured"), over real HTTP against simulator processes it starts and stops:

- a snapshot of `--entries` passes pushed and applied, then one-change deltas against it
  (bytes on the wire and time), and a restart until the list answers again;
- `--fleet` virtual controllers in one process: start, a snapshot and a one-change delta
  pushed to each, `--workers` at a time, and the process's memory.

Standard library only (plus the simulator). Figures are wall-clock seconds on this machine.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from . import client

ROOT = Path(__file__).resolve().parents[2]
SECRET = "measure"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def simulator(data_dir: str, port: int, *args: str) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.gatesim", "--port", str(port), "--data-dir", data_dir]
        + list(args),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the simulator did not start") from None
                time.sleep(0.02)
        yield process
    finally:
        process.terminate()
        process.wait(30)


def _delta(start: int, grant: int) -> dict:
    return {
        "protocol": 1,
        "type": "delta",
        "controller": 7,
        "community": 3,
        "from_version": start,
        "version": start + 1,
        "changes": [{"v": start + 1, "op": "del", "grant": grant}],
    }


def measure_list(size: int, rounds: int) -> list[tuple[str, str]]:
    port, data_dir = _free_port(), tempfile.mkdtemp(prefix="gatesim-measure-")
    endpoint = f"http://127.0.0.1:{port}/c/7"
    now = int(time.time())
    entries = [
        [100000 + i, 200000 + i, now - 86400, None if i % 3 else now + 31536000]
        for i in range(size)
    ]
    doc = {
        "protocol": 1,
        "type": "snapshot",
        "controller": 7,
        "community": 3,
        "version": 1,
        "policy": {"entry": "registered", "rider_hours": ["07:00", "23:00"]},
        "keys": [],
        "entries": entries,
    }
    snapshots, deltas = [], []
    with simulator(data_dir, port, "--controller", f"7:{SECRET}"):
        for round_ in range(1, rounds + 1):
            doc["version"] = round_ * 10
            started = time.perf_counter()
            status, answer = client.push(endpoint, 7, SECRET, doc, timeout=60)
            snapshots.append(time.perf_counter() - started)
            assert status == 200 and answer["size"] == size, (status, answer)
            delta = _delta(round_ * 10, 100000 + round_)
            started = time.perf_counter()
            status, answer = client.push(endpoint, 7, SECRET, delta)
            deltas.append(time.perf_counter() - started)
            assert status == 200 and answer["size"] == size - 1, (status, answer)
        held = client.state(endpoint)["digest"]
    started = time.perf_counter()  # the list is loaded before the port listens
    with simulator(data_dir, port, "--controller", f"7:{SECRET}"):
        while True:
            try:
                after = client.state(endpoint)
                break
            except OSError:
                time.sleep(0.01)
        restart = time.perf_counter() - started
        assert after["digest"] == held
    snapshot_bytes = len(json.dumps(doc, separators=(",", ":")))
    delta_bytes = len(json.dumps(delta, separators=(",", ":")))
    return [
        (
            f"snapshot of {size:,} passes ({snapshot_bytes:,} B) pushed and applied",
            _spread(snapshots),
        ),
        (f"one-change delta against {size:,} passes ({delta_bytes} B)", _spread(deltas)),
        (f"restart with {size:,} passes to its first state answer", f"{restart:.2f} s"),
    ]


def measure_fleet(count: int, workers: int) -> list[tuple[str, str]]:
    port, data_dir = _free_port(), tempfile.mkdtemp(prefix="gatesim-measure-")
    endpoint = f"http://127.0.0.1:{port}/c/{{}}"
    entries = [[grant, grant + 1, 0, None] for grant in range(1, 101)]
    snapshot = {
        "type": "snapshot",
        "version": 5,
        "community": 1,
        "policy": {"entry": "open", "rider_hours": None},
        "keys": [],
        "entries": entries,
    }
    delta = {**_delta(5, 1)}

    def push_snapshot(ident: int) -> int:
        return client.push(endpoint.format(ident), ident, SECRET, snapshot, timeout=60)[0]

    def push_delta(ident: int) -> int:
        return client.push(endpoint.format(ident), ident, SECRET, delta, timeout=60)[0]

    rows = []
    started = time.perf_counter()
    fleet = ("--fleet", str(count), "--fleet-first-id", "1", "--fleet-secret", SECRET)
    with simulator(data_dir, port, *fleet) as process:
        rows.append((f"{count:,} controllers in one process: start", _secs(started)))
        for name, push in (("a snapshot of 100 passes", push_snapshot), ("a delta", push_delta)):
            started = time.perf_counter()
            with ThreadPoolExecutor(workers) as pool:
                statuses = list(pool.map(push, range(1, count + 1)))
            refused = sum(status != 200 for status in statuses)
            label = f"{name} to each of {count:,}, {workers} at a time ({refused} not 200)"
            rows.append((label, _secs(started)))
        rss = _rss_kib(process.pid)
        if rss:
            rows.append(("its memory (RSS)", f"{rss / 1024:.0f} MiB"))
    return rows


def _secs(started: float) -> str:
    return f"{time.perf_counter() - started:.2f} s"


def _spread(times: list[float]) -> str:
    return f"median {statistics.median(times):.3f} s, max {max(times):.3f} s ({len(times)} runs)"


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gatesim.measure", description=__doc__)
    parser.add_argument("--entries", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--fleet", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=64)
    args = parser.parse_args(argv)
    rows = measure_list(args.entries, args.rounds) + measure_fleet(args.fleet, args.workers)
    print("| what | figure |\n|---|---|")
    for name, figure in rows:
        print(f"| {name} | {figure} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
