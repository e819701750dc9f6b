"""Content-Security-Policy on our pages, no inline scripts, production `check --deploy`."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.cache import cache

from communities.tests.factories import GateFactory
from riders.services.registration import device_issue

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


class _Inline(HTMLParser):
    """Collects inline scripts, <style> elements and on* handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            kind = (names.get("type") or "").lower()
            self._in_script = "src" not in names and kind not in ("application/json",)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")


def _inline_code(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    return parser.found


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
def pages(client, community, staff_user, rider):
    """Our main pages, each as the person who would see it."""
    cache.clear()
    gate = GateFactory(community=community, name="North Gate")
    anonymous = {
        "/": client.get("/", **EN),
        f"/c/{community.slug}/": client.get(f"/c/{community.slug}/", **EN),
        f"/r/{gate.entry_code}/": client.get(f"/r/{gate.entry_code}/", **EN),
        "/vote/": client.get("/vote/", follow=True, **EN),
    }
    client.cookies[settings.RIDERS_DEVICE_COOKIE] = device_issue(rider=rider)
    anonymous["/pass/"] = client.get("/pass/", **EN)
    client.force_login(staff_user)
    anonymous[f"/guard/{gate.entry_code}/"] = client.get(f"/guard/{gate.entry_code}/", **EN)
    anonymous["/staff/riders/"] = client.get("/staff/riders/", **EN)
    return anonymous


def test_every_main_page_has_a_strict_policy_and_no_inline_code(pages):
    for path, response in pages.items():
        assert response.status_code == 200, path
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"], path
        for directive in ("script-src", "style-src"):
            assert "'unsafe-inline'" not in policy[directive], (path, directive)
            assert "'unsafe-eval'" not in policy[directive], (path, directive)
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["object-src"] == ["'none'"], path
        html = response.content.decode()
        assert _inline_code(html) == [], path


def test_the_inline_code_finder_finds_what_a_policy_would_block():
    html = (
        '<script src="/static/a.js"></script><script>alert(1)</script>'
        '<button onclick="go()">x</button><style>p{}</style><a href="javascript:x()">y</a>'
    )
    assert len(_inline_code(html)) == 4


def test_pages_deny_framing_and_send_a_referrer_policy(client):
    response = client.get("/", **EN)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_api_docs_page_runs_its_inline_start_up_only_by_nonce(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = _policy(response)
    nonces = [v for v in policy["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1 and "'unsafe-inline'" not in policy["script-src"]
    nonce = nonces[0][len("'nonce-") : -1]
    html = response.content.decode()
    assert f'<script nonce="{nonce}">' in html
    assert f'<style nonce="{nonce}">' in html
    assert "SwaggerUIBundle" in html
    # A second request gets another nonce.
    assert nonce not in client.get("/api/docs/")["Content-Security-Policy"]


def _deploy_env(**extra: str) -> dict[str, str]:
    """The environment of a production process: the test run's own switches left out
    (pytest's Playwright fixtures set DJANGO_ALLOW_ASYNC_UNSAFE)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="postgres://last100@127.0.0.1:5432/last100",
        ALLOWED_HOSTS="portal.example.com",
        # No SMS provider here: accept the console back-ends (test_production_sequence.py
        # checks that production refuses them otherwise).
        ALLOW_CONSOLE_MESSAGES="true",
    )
    env.update(extra)
    return env


def test_check_deploy_with_production_settings_reports_nothing():
    env = _deploy_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_does_fail_on_a_weak_production_setting():
    """The check above can fail: the same run with HSTS off reports a warning."""
    env = _deploy_env(SECURE_HSTS_SECONDS="0")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "path",
    ["/?q=%00", "/r/%00/", "/vote/feedback/status/%00/", "/admin/riders/accessgrant/?status=%00"],
)
def test_a_nul_byte_in_the_url_is_a_400_not_a_500(client, path):
    """Red team: PostgreSQL refuses NUL in text, so these reached the database as 500s."""
    assert client.get(path).status_code == 400
