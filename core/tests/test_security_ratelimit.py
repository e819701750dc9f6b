"""Rate limits: each limited endpoint answers 429 with Retry-After and a message in the
user's language; counters live in the shared cache; hits are logged with phones masked."""

from __future__ import annotations

import json
import logging
import time

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from communities.tests.factories import GateFactory
from core.security.ratelimit import Rate

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
IP = "192.0.2.33"
OTHER_IP = "198.51.100.44"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.SECURITY_RATELIMIT_ENABLED = True
    scopes = ("register", "login-code-send", "login-code-verify", "verify", "feedback", "login")
    settings.SECURITY_RATE_LIMITS = dict.fromkeys(scopes, "2/m")
    # The limits count in fixed one-minute windows of the clock: a test whose requests
    # straddle a minute's end would see its count start again. Start well inside one.
    left = 60 - time.time() % 60
    if left < 10:
        time.sleep(left + 0.05)
    cache.clear()
    yield settings.SECURITY_RATE_LIMITS
    cache.clear()


def _security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "last100.security"]


def _assert_limited_page(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert "Too many attempts. Please wait" in html
    assert f"{int(response['Retry-After'])} seconds" in html


def test_rates_read_as_count_per_period():
    assert Rate.parse("10/m") == Rate(10, 60)
    assert Rate.parse("5/15m") == Rate(5, 900)
    assert Rate.parse("600/h") == Rate(600, 3600)
    with pytest.raises(ValueError):
        Rate.parse("ten a minute")


def test_registration_page_is_limited_per_address(client, gate, caplog):
    caplog.set_level(logging.INFO, logger="last100.security")
    url = f"/r/{gate.entry_code}/"
    assert [client.get(url, REMOTE_ADDR=IP, **EN).status_code for _ in range(2)] == [200, 200]
    limited = client.get(url, REMOTE_ADDR=IP, **EN)
    _assert_limited_page(limited)
    assert limited["Cache-Control"].startswith("max-age=0")  # never_cache still wraps it
    assert client.get(url, REMOTE_ADDR=OTHER_IP, **EN).status_code == 200
    assert f"rate_limited scope=register key=ip:{IP} path={url}" in _security_lines(caplog)


def test_the_limit_page_speaks_the_users_language(client, gate):
    url = f"/r/{gate.entry_code}/"
    for _ in range(2):
        client.get(url, REMOTE_ADDR=IP)
    limited = client.get(url, REMOTE_ADDR=IP, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert limited.status_code == 429
    assert '<html lang="zh-hans">' in limited.content.decode()


def test_asking_for_one_time_codes_is_limited_per_phone_across_addresses(client, caplog):
    caplog.set_level(logging.INFO, logger="last100.security")
    phone = {"phone": "13912345678"}
    assert client.post("/vote/login/phone/", phone, REMOTE_ADDR=IP, **EN).status_code == 302
    assert client.post("/vote/login/phone/", phone, REMOTE_ADDR=OTHER_IP, **EN).status_code == 302
    limited = Client().post("/vote/login/phone/", phone, REMOTE_ADDR="203.0.113.9", **EN)
    _assert_limited_page(limited)
    lines = "\n".join(_security_lines(caplog))
    assert "scope=login-code-send key=phone:139****5678" in lines
    assert "13912345678" not in lines
    # Looking at the form is not counted.
    assert client.get("/vote/login/phone/", REMOTE_ADDR=IP, **EN).status_code == 200


def test_typing_one_time_codes_is_limited(client, limits):
    limits["login-code-send"] = "10/m"
    client.post("/vote/login/phone/", {"phone": "13912345678"}, REMOTE_ADDR=IP, **EN)
    answers = [
        client.post("/vote/login/code/", {"code": "000000"}, REMOTE_ADDR=IP, **EN) for _ in range(3)
    ]
    assert [a.status_code for a in answers[:2]] == [200, 200]  # "wrong code" form
    _assert_limited_page(answers[2])


def test_online_verification_answers_json_429_per_guard(client, staff_user, community):
    gate = GateFactory(community=community)
    client.force_login(staff_user)
    body = json.dumps({"token": "not-a-pass", "gate": gate.entry_code, "direction": "in"})

    def verify(who: Client, ip: str = IP):
        return who.post(
            "/api/v1/gates/verify", body, content_type="application/json", REMOTE_ADDR=ip, **EN
        )

    assert [verify(client).status_code for _ in range(2)] == [200, 200]
    limited = verify(client, ip=OTHER_IP)  # the same guard from another address
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/json"
    assert limited.json()["detail"].startswith("Too many attempts. Please wait")
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Anonymous callers are counted by address, apart from the guard.
    assert verify(Client(), ip=IP).status_code == 403


def test_verification_by_a_controller_is_counted_per_controller_and_address(client):
    headers = {
        "HTTP_X_L100_CONTROLLER": "991",
        "HTTP_X_L100_TIMESTAMP": "1",
        "HTTP_X_L100_SIGNATURE": "x",
    }
    for _ in range(2):
        client.post(
            "/api/v1/gates/verify", "{}", content_type="application/json", REMOTE_ADDR=IP, **headers
        )
    limited = client.post(
        "/api/v1/gates/verify", "{}", content_type="application/json", REMOTE_ADDR=IP, **headers
    )
    assert limited.status_code == 429
    # Someone else claiming the same controller id does not use up its allowance.
    elsewhere = client.post(
        "/api/v1/gates/verify",
        "{}",
        content_type="application/json",
        REMOTE_ADDR=OTHER_IP,
        **headers,
    )
    assert elsewhere.status_code == 403


def test_feedback_submissions_are_limited(client, community):
    url = f"/vote/feedback/{community.slug}/"
    answers = [client.post(url, {"text": ""}, REMOTE_ADDR=IP, **EN) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [200, 200]  # the form with its errors
    _assert_limited_page(answers[2])
    assert client.get(url, REMOTE_ADDR=IP, **EN).status_code == 200


@pytest.mark.parametrize("url", ["/admin/login/", "/vote/login/"])
def test_password_log_ins_are_limited_per_address(client, url, superuser):
    answers = [
        client.post(url, {"username": f"u{i}", "password": "x"}, REMOTE_ADDR=IP, **EN)
        for i in range(3)
    ]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    _assert_limited_page(answers[2])
    # The limit holds even for the right password, and not for another address.
    ok = {"username": "root", "password": "pw-root-123"}
    assert client.post(url, ok, REMOTE_ADDR=IP, **EN).status_code == 429
    assert Client().post(url, ok, REMOTE_ADDR=OTHER_IP, **EN).status_code == 302


def test_the_window_starts_over(client, gate, limits):
    url = f"/r/{gate.entry_code}/"
    limits["register"] = "1/1s"
    assert client.get(url, REMOTE_ADDR=IP).status_code == 200
    limited = client.get(url, REMOTE_ADDR=IP)
    if limited.status_code == 200:  # the first request was at the very end of a second
        limited = client.get(url, REMOTE_ADDR=IP)
    assert limited.status_code == 429 and limited["Retry-After"] == "1"
    cache.clear()  # a new window is a new key; clearing stands in for waiting
    assert client.get(url, REMOTE_ADDR=IP).status_code == 200


def test_counters_live_in_the_shared_redis_cache(redis_url, gate):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    url = f"/r/{gate.entry_code}/"
    # Two clients stand for two portal processes: only the cache is shared.
    Client().get(url, REMOTE_ADDR=IP)
    Client().get(url, REMOTE_ADDR=IP)
    assert Client().get(url, REMOTE_ADDR=IP).status_code == 429
    keys = redis.Redis.from_url(redis_url).keys("*rl:register:*")
    assert len(keys) == 1
    assert IP.encode() not in keys[0]  # the address is hashed, not stored


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(rf, settings):
    from core.security.client import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "10.0.0.1"  # no proxy trusted: X-Forwarded-For ignored
    settings.SECURITY_TRUSTED_PROXIES = ["10.0.0.1"]
    assert client_ip(request) == "203.0.113.7"  # not the left part the client wrote
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"


def test_a_redis_window_counter_counts_in_one_script_and_expires_with_its_window(
    redis_url, monkeypatch
):
    """One EVALSHA per request: INCR, and the expiry set when the window's counter is new
    (so a counter never outlives its window); a Redis that lost the script (restarted,
    flushed) gets it again with EVAL."""
    from core.security import ratelimit

    calls: list[str] = []
    client = cache._cache.get_client(write=True)
    for name in ("evalsha", "eval", "pipeline", "incr", "set"):
        original = getattr(client, name)
        monkeypatch.setattr(
            client,
            name,
            lambda *a, _o=original, _n=name, **k: calls.append(_n) or _o(*a, **k),
        )
    assert ratelimit._count("rl:test:window", timeout=61) == 1
    assert ratelimit._count("rl:test:window", timeout=61) == 2
    assert calls == ["evalsha", "evalsha"]
    ttl = redis.Redis.from_url(redis_url).ttl(cache.make_key("rl:test:window"))
    assert 0 < ttl <= 61
    monkeypatch.setattr(ratelimit, "_COUNT_SCRIPT_SHA", "0" * 40)  # a script Redis lacks
    assert ratelimit._count("rl:test:window", timeout=61) == 3
    assert calls[2:] == ["evalsha", "eval"]
