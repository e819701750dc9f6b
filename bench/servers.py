"""Start and stop the gunicorn servers the bench loads.

Each server gets a listening socket on a free loopback port, bound here and handed to
gunicorn as an inherited file descriptor (`--bind fd://N`), so no other process can take
the port between choosing and binding it. Gunicorn runs in its own process group, which
`stop()` ends (that group holds only the master and workers started here).

Server time: each server's workers append a record per request to `times_path`
(bench/gunicorn.conf.py's hooks); `server_times_ms(window)` reads back the requests that
began inside a run's measured window.
"""

from __future__ import annotations

import bisect
import http.client
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = Path(__file__).resolve().parent / "gunicorn.conf.py"
HOST = "127.0.0.1"
SERVER_TIME_RECORD = struct.Struct("<dd")  # as written by gunicorn.conf.py's post_request


@dataclass(frozen=True)
class GunicornOptions:
    """What both servers share, flag for flag."""

    workers: int = 2
    worker_class: str = "gthread"
    threads: int = 4

    def flags(self) -> list[str]:
        flags = [
            "--config",
            str(GUNICORN_CONF),
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
        ]
        if self.worker_class == "gthread":
            flags += ["--threads", str(self.threads)]
        return flags

    def describe(self) -> str:
        threads = f" x {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"{self.workers} {self.worker_class} workers{threads}"


class ServerFailed(RuntimeError):
    pass


class Server:
    def __init__(
        self,
        *,
        name: str,
        app: str,
        env: dict[str, str],
        options: GunicornOptions,
        log_path: Path,
        ready_path: str,
        times_path: Path | None = None,
    ) -> None:
        self.name = name
        self.app = app
        self.env = env
        self.options = options
        self.log_path = log_path
        self.ready_path = ready_path
        self.times_path = times_path
        self._times: tuple[list[float], list[float]] | None = None
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((HOST, 0))
            listener.listen(2048)
            listener.set_inheritable(True)
            self.port = listener.getsockname()[1]
            fd = listener.fileno()
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                *self.options.flags(),
                "--bind",
                f"fd://{fd}",
                "--chdir",
                str(ROOT),
                self.app,
            ]
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            env = dict(self.env)
            if self.times_path is not None:
                self.times_path.write_bytes(b"")  # an earlier run's records are not ours
                env["BENCH_SERVER_TIMES"] = str(self.times_path)
            with self.log_path.open("wb") as log:
                self.process = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    pass_fds=(fd,),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        finally:
            listener.close()  # gunicorn holds its own copy

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the server answers its ready path with a 2xx."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise ServerFailed(f"{self.name} server exited.\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", self.ready_path)
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if 200 <= response.status < 300:
                    return
                last = f"HTTP {response.status}: {body[:300].decode('utf-8', 'replace')}"
            except OSError as exc:
                last = f"{exc.__class__.__name__}: {exc}"
            time.sleep(0.2)
        raise ServerFailed(f"{self.name} server not ready after {timeout:.0f} s ({last}).")

    def stop(self) -> None:
        self._times = None  # read the records afresh: the last ones land as workers exit
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def server_times_ms(self, window: tuple[float, float]) -> list[float]:
        """Server times (ms) of the requests whose handling began inside `window`
        (monotonic seconds). Read once, after the server has stopped (so every record of
        its last requests is written)."""
        if self.times_path is None:
            return []
        if self._times is None:
            try:
                data = self.times_path.read_bytes()
            except OSError:
                data = b""
            data = data[: len(data) - len(data) % SERVER_TIME_RECORD.size]
            records = sorted(SERVER_TIME_RECORD.iter_unpack(data))
            self._times = ([r[0] for r in records], [r[1] * 1000 for r in records])
        starts, durations = self._times
        low = bisect.bisect_left(starts, window[0])
        high = bisect.bisect_right(starts, window[1])
        return durations[low:high]

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds of the server's workers so far (Linux /proc: the
        master's children), or None where that cannot be read. A run's difference,
        divided by its requests, is what one request costs the workers on any load:
        unlike requests/s it hardly moves with other people's jobs (PostgreSQL's and
        Redis's CPU are not in it)."""
        if self.process is None:
            return None
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return None
        ticks = 0
        for child in children:
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # a worker that just exited
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14, 15)
        return ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
