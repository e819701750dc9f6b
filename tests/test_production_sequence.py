"""README "Production", run as written: migrate, collectstatic, gunicorn with
`portal.settings.prod` behind a TLS-terminating proxy (X-Forwarded-Proto: https).

It runs against a database of its own on the test run's PostgreSQL server, made and dropped
here, so the real migrations run (the suite itself builds its tables without them)."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db

PAGES = ["/", "/admin/login/", "/api/docs/", "/vote/login/"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def production_database(db):
    params = connection.settings_dict
    name = f"l100_prodseq_{os.getpid()}"
    admin = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    yield f"postgres://{auth}@{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _get(port: int, path: str, **headers: str) -> tuple[int, str, str]:
    """Status, body and Location of one GET to the local server (redirects not followed)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return (
            response.status,
            response.read().decode(errors="replace"),
            response.getheader("Location", ""),
        )
    finally:
        conn.close()


def test_the_readme_production_sequence_serves_the_pages(production_database, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=production_database,
        ALLOWED_HOSTS="portal.example.com",
        PORTAL_BASE_URL="https://portal.example.com",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private-media"),
        ALLOW_CONSOLE_MESSAGES="true",
    )
    python = sys.executable
    base = settings.BASE_DIR
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        done = subprocess.run(
            [python, "manage.py", *command],
            cwd=base,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    port = _free_port()
    gunicorn = Path(python).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=base,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        proxy = {"Host": "portal.example.com", "X-Forwarded-Proto": "https"}
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(port, "/", **proxy)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not start in 60 s"
                time.sleep(0.3)
        for path in PAGES:
            status, body, _ = _get(port, path, **proxy)
            assert status == 200, f"{path}: {status} {body[:500]}"
        # Without the proxy's word the request came over plain HTTP: it is sent to HTTPS.
        status, _, location = _get(port, "/vote/login/", Host="portal.example.com")
        assert (status, location) == (301, "https://portal.example.com/vote/login/")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_production_refuses_console_message_backends():
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="postgres://last100@127.0.0.1:5432/last100",
        ALLOWED_HOSTS="portal.example.com",
    )
    env.pop("ALLOW_CONSOLE_MESSAGES", None)
    env.pop("SMS_BACKEND", None)
    refused = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "SMS_BACKEND is the console back-end" in refused.stderr
    env["ALLOW_CONSOLE_MESSAGES"] = "true"
    allowed = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert allowed.returncode == 0, allowed.stderr
