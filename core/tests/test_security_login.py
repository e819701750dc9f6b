"""Log-in protection: lock-out by user name and address together, session rotation, idle
and absolute timeouts, disabled accounts' sessions, security log lines."""

from __future__ import annotations

import logging
import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from core.security.middleware import LOGIN_AT, SEEN_AT

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ADMIN_LOGIN = "/admin/login/"
HOME = "192.0.2.10"
ELSEWHERE = "198.51.100.20"


def _admin_login(client: Client, username: str, password: str, ip: str = HOME, **extra):
    return client.post(
        ADMIN_LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        **EN,
        **extra,
    )


def _fail(client: Client, username: str, times: int, ip: str = HOME):
    return [_admin_login(client, username, "wrong-password", ip) for _ in range(times)]


def test_five_failures_lock_that_name_from_that_address_with_a_clear_page(client, superuser):
    answers = _fail(client, "root", settings.AXES_FAILURE_LIMIT)
    assert [a.status_code for a in answers[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    locked = answers[-1]
    assert locked.status_code == 429
    assert "Too many failed log-ins for this user name" in locked.content.decode()
    assert int(locked["Retry-After"]) == 15 * 60
    # Now even the right password is refused from this address.
    again = _admin_login(client, "root", "pw-root-123")
    assert again.status_code == 429
    assert SESSION_KEY not in client.session


def test_a_locked_name_still_logs_in_from_another_address(client, superuser):
    _fail(client, "root", settings.AXES_FAILURE_LIMIT)
    other = Client()
    answer = _admin_login(other, "root", "pw-root-123", ip=ELSEWHERE)
    assert answer.status_code == 302 and answer["Location"] == "/admin/"
    assert other.session[SESSION_KEY] == str(superuser.pk)


def test_another_name_still_logs_in_from_the_locked_address(client, superuser, django_user_model):
    django_user_model.objects.create_superuser("second", "s@example.com", "pw-second-123")
    _fail(client, "root", settings.AXES_FAILURE_LIMIT)
    answer = _admin_login(Client(), "second", "pw-second-123")
    assert answer.status_code == 302


def test_the_lock_out_page_is_in_the_users_language(client, superuser):
    _fail(client, "root", settings.AXES_FAILURE_LIMIT)
    answer = client.post(
        ADMIN_LOGIN,
        {"username": "root", "password": "x"},
        REMOTE_ADDR=HOME,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert answer.status_code == 429
    assert '<html lang="zh-hans">' in answer.content.decode()


def test_owners_log_in_page_locks_out_too(client, owner):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = client.post(
            "/vote/login/", {"username": "owner.wang", "password": "nope"}, REMOTE_ADDR=HOME, **EN
        )
    assert last.status_code == 429
    assert "Please wait 15 minutes" in last.content.decode()


def test_a_success_clears_earlier_failures(client, superuser):
    _fail(client, "root", settings.AXES_FAILURE_LIMIT - 1)
    assert _admin_login(client, "root", "pw-root-123").status_code == 302
    client.logout()
    answers = _fail(client, "root", settings.AXES_FAILURE_LIMIT - 1)
    assert all(a.status_code == 200 for a in answers)


def test_test_clients_login_and_force_login_still_work(client, superuser):
    assert client.login(username="root", password="pw-root-123")
    assert client.get("/admin/").status_code == 200
    other = Client()
    other.force_login(superuser)
    assert other.get("/admin/").status_code == 200


def test_log_in_gives_a_new_session_key(client, superuser):
    session = client.session
    session["before-log-in"] = True
    session.save()
    before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before
    assert _admin_login(client, "root", "pw-root-123").status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session[SESSION_KEY] == str(superuser.pk)


def _set_clock(client: Client, *, login_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[LOGIN_AT] = now - login_ago
    session[SEEN_AT] = now - seen_ago
    session.save()


def test_an_idle_session_ends(client, superuser):
    client.force_login(superuser)
    idle = settings.SESSION_IDLE_TIMEOUT_SECONDS
    _set_clock(client, login_ago=idle + 120, seen_ago=idle + 60)
    answer = client.get("/admin/")
    assert answer.status_code == 302 and answer["Location"].startswith(ADMIN_LOGIN)
    assert SESSION_KEY not in client.session


def test_a_session_used_within_the_idle_time_goes_on_and_moves_its_clock(client, superuser):
    client.force_login(superuser)
    idle = settings.SESSION_IDLE_TIMEOUT_SECONDS
    _set_clock(client, login_ago=idle * 3, seen_ago=idle - 60)
    assert client.get("/admin/").status_code == 200
    assert int(time.time()) - client.session[SEEN_AT] < 5


def test_a_busy_session_still_ends_at_the_absolute_timeout(client, superuser):
    client.force_login(superuser)
    _set_clock(client, login_ago=settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS + 10, seen_ago=5)
    answer = client.get("/admin/")
    assert answer.status_code == 302
    assert SESSION_KEY not in client.session


def test_disabling_an_account_ends_its_sessions_at_once(superuser, django_user_model):
    other_admin = django_user_model.objects.create_superuser("keep", "k@example.com", "pw-k-123")
    laptop, phone, colleague = Client(), Client(), Client()
    laptop.force_login(superuser)
    phone.force_login(superuser)
    colleague.force_login(other_admin)
    keys = {c.session.session_key for c in (laptop, phone)}

    superuser.is_active = False
    superuser.save()

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert laptop.get("/admin/").status_code == 302
    assert colleague.get("/admin/").status_code == 200


def test_failed_log_ins_and_lock_outs_are_logged_with_masked_names(client, caplog):
    caplog.set_level(logging.INFO, logger="last100.security")
    _fail(client, "13812345678", settings.AXES_FAILURE_LIMIT)
    lines = [r.getMessage() for r in caplog.records if r.name == "last100.security"]
    failed = [line for line in lines if line.startswith("login_failed")]
    assert len(failed) == settings.AXES_FAILURE_LIMIT
    assert f"username=138****5678 ip={HOME}" in failed[0]
    assert any(line.startswith("login_locked_out username=138****5678") for line in lines)
    assert "13812345678" not in "\n".join(lines)


def test_denied_access_is_logged(client, caplog, django_user_model):
    caplog.set_level(logging.INFO, logger="last100.security")
    user = django_user_model.objects.create_user("plain", password="pw-plain-123")
    client.force_login(user)
    # A logged-in user without the guard permission asking the verify API: 403 or 404.
    client.post("/api/v1/gates/verify", {}, content_type="application/json")
    answer = client.get("/api/v1/keys")
    assert answer.status_code == 200
    anonymous = Client()
    assert (
        anonymous.post("/api/v1/gates/verify", {}, content_type="application/json").status_code
        == 403
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "last100.security"]
    assert any(
        line.startswith(
            "access_denied anonymous ip=127.0.0.1 method=POST path=/api/v1/gates/verify"
        )
        for line in lines
    ), lines


def test_a_bad_controller_signature_is_logged(client, caplog, gate):
    from communities.tests.factories import GateControllerFactory
    from riders.tests.factories import controller_meta

    caplog.set_level(logging.INFO, logger="last100.security")
    controller = GateControllerFactory(gate=gate)
    body = b'{"token": "x", "gate": "%s"}' % gate.entry_code.encode()
    good = controller_meta(controller, "POST", "/api/v1/gates/verify", body)
    client.post("/api/v1/gates/verify", body, content_type="application/json", **good)
    assert not [m for m in caplog.messages if m.startswith("bad_signature")]
    forged = {**controller_meta(controller, "POST", "/api/v1/gates/verify", body)}
    forged["HTTP_X_L100_SIGNATURE"] = "0" * 64
    answer = client.post("/api/v1/gates/verify", body, content_type="application/json", **forged)
    assert answer.status_code == 403
    assert f"bad_signature controller={controller.pk}" in caplog.messages
