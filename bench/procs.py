"""Real processes for the gate-sync fault tests and benchmarks (bench.gatesync): a private
Redis server (so it can be restarted), a Celery worker with embedded beat, and gate
simulators.

Nothing here is mocked: the worker is `celery -A portal worker -B`, the simulator is
`python -m tools.gatesim`, and they talk to each other and to PostgreSQL for real.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from tools.gatesim import client as gatesim_client

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], Any], *, timeout: float, every: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; raise AssertionError at timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as error:  # noqa: BLE001 - a process still starting
            last = error
        if last and not isinstance(last, Exception):
            return last
        time.sleep(every)
    raise AssertionError(f"not true within {timeout} s (last: {last!r})")


def database_url() -> str:
    db = settings.DATABASES["default"]
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def reset_broker_connections(app: Any) -> None:
    """Drop the Celery app's pooled broker connections (after changing broker_url), the
    way Celery itself does after a fork."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


class RedisServer:
    """A redis-server of our own on a free port, restartable mid-test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.port), 0.2), timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class Worker:
    """`celery -A portal worker -B` against the test database and our Redis."""

    def __init__(
        self,
        redis_url: str,
        *,
        reconcile_seconds: int = 1,
        settings_module: str = "portal.settings.test",
        concurrency: int = 2,
        queues: str | None = None,
        beat: bool = True,
    ) -> None:
        self.queues = queues  # None: every queue (CELERY_TASK_QUEUES)
        self.beat = beat
        self.redis_url = redis_url
        self.reconcile_seconds = reconcile_seconds
        self.settings_module = settings_module
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self.dir = tempfile.mkdtemp(prefix="l100-worker-")
        self.log_path = os.path.join(self.dir, "worker.log")

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "GATESYNC_RECONCILE_SECONDS": str(self.reconcile_seconds),
            "GATESYNC_LEASE_SECONDS": "5",
            "GATESYNC_HTTP_TIMEOUT_SECONDS": "3",
            # The simulators this worker pushes to listen on loopback (core/netguard.py).
            "GATESYNC_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8,::1/128",
        }
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                *(["-B", "-s", os.path.join(self.dir, "beat-schedule")] if self.beat else []),
                *(["-Q", self.queues] if self.queues else []),
                "-l",
                "INFO",
                "--concurrency",
                str(self.concurrency),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"faults-{os.getpid()}-{self.queues or 'all'}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once (no clean shutdown)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()[-4000:]


class WorkerPair:
    """Two workers as production runs them (docs/gate-sync.md): one with beat for the
    default queue (a change's pushes and every other task), one for reconcile's
    catch-up pushes, so unreachable controllers never delay a change."""

    def __init__(
        self,
        redis_url: str,
        *,
        settings_module: str,
        concurrency: int = 2,
        reconcile_seconds: int = 5,
    ) -> None:
        self.main = Worker(
            redis_url,
            settings_module=settings_module,
            concurrency=concurrency,
            queues="celery",
            reconcile_seconds=reconcile_seconds,
        )
        # One process: on the bench's 2 cores it stands for catch-up workers that
        # production runs elsewhere.
        self.catchup = Worker(
            redis_url,
            settings_module=settings_module,
            concurrency=1,
            queues="gatesync-catchup",
            beat=False,
        )

    def start(self) -> None:
        self.main.start()
        self.catchup.start()

    def stop(self) -> None:
        self.catchup.stop()
        self.main.stop()


class GateSim:
    """`python -m tools.gatesim` hosting the given controllers on one port."""

    def __init__(
        self,
        controllers: dict[int, str],
        *,
        portal: str = "",
        heartbeat: float = 1,
        data_dir: str | None = None,
        port: int | None = None,
        extra: list[str] | None = None,
    ) -> None:
        self.controllers = controllers
        self.portal = portal
        self.heartbeat = heartbeat
        self.port = port or free_port()
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="l100-gatesim-")
        self.extra = extra or []
        self.process: subprocess.Popen | None = None

    def endpoint(self, controller_id: int) -> str:
        return f"http://127.0.0.1:{self.port}/c/{controller_id}"

    def start(self) -> None:
        spec = os.path.join(self.data_dir, "controllers.json")
        with open(spec, "w") as handle:
            json.dump([{"id": k, "secret": v} for k, v in self.controllers.items()], handle)
        args = [
            sys.executable,
            "-m",
            "tools.gatesim",
            "--port",
            str(self.port),
            "--data-dir",
            self.data_dir,
            "--controllers-file",
            spec,
            "--heartbeat",
            str(self.heartbeat),
            *self.extra,
        ]
        if self.portal:
            args += ["--portal", self.portal]
        self.process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.port), 0.2), timeout=15)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    # Requests to a simulated controller go through the simulator's own client (standard
    # library only): one signing and HTTP path for the simulator's tests, these and benches.
    def state(self, controller_id: int) -> dict[str, Any]:
        return gatesim_client.state(self.endpoint(controller_id))

    def scan(self, controller_id: int, token: str, direction: str = "in") -> dict[str, Any]:
        return gatesim_client.scan(self.endpoint(controller_id), token, direction)

    def reset(self, controller_id: int) -> dict[str, Any]:
        """A factory reset: the controller forgets its list (version 0)."""
        status, answer = gatesim_client.reset(
            self.endpoint(controller_id), controller_id, self.controllers[controller_id]
        )
        if status != 200:
            raise RuntimeError(f"reset of controller {controller_id} answered {status}")
        return answer
