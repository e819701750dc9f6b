"""The work floor (bench/work_floor/): each of its five steps is really done — a wrong HMAC
is refused, a forged pass is denied, the grant is read from its table, the event row is
written, a replayed nonce is denied (with the nonce in Redis, SET NX EX) — and its tables
have the riders tables' shape. Its view is called in-process on the test database."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import uuid

import pytest
from django.db import connection
from django.test import RequestFactory

from bench.loadgen import Request
from bench.work_floor import setup as work_setup
from communities.tests.factories import GateControllerFactory


def _load_floor(community, gate, tmp_path, monkeypatch, *, prefix: str):
    GateControllerFactory(gate=gate, secret="controller-secret")
    monkeypatch.setenv(work_setup.CONFIG_ENV, str(tmp_path / "work_floor.json"))
    make = work_setup.work_floor_requests(community, nonce_prefix=prefix)
    import bench.work_floor.urls as view_module

    return importlib.reload(view_module), make  # reads the settings file just written


@pytest.fixture
def floor(db, community, gate, tmp_path, monkeypatch):
    """The work floor set up for `community`: its view module and its request maker."""
    return _load_floor(community, gate, tmp_path, monkeypatch, prefix=f"t:{uuid.uuid4().hex}")


def _post(view_module, request: Request, *, body: bytes | None = None, signature: str = ""):
    headers = dict(request.headers)
    if signature:
        headers["X-L100-Signature"] = signature
    meta = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in headers.items()
        if name != "Content-Type"
    }
    django_request = RequestFactory().post(
        request.path,
        data=request.body if body is None else body,
        content_type="application/json",
        **meta,
    )
    response = view_module.verify(django_request)
    return response.status_code, json.loads(response.content)


def _resign(view_module, request: Request, body: bytes) -> str:
    """The controller's HMAC over a changed body, so only what was changed is wrong."""
    stamp = dict(request.headers)["X-L100-Timestamp"]
    return hmac.new(view_module.SECRET, f"{stamp}\n".encode() + body, hashlib.sha256).hexdigest()


def _events() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT event_id, decision, reason, grant_id, gate_id FROM {work_setup.EVENT_TABLE}"
        )
        return cursor.fetchall()


def test_work_floor_opens_a_fresh_pass_and_writes_its_event_row(floor, gate):
    view_module, make = floor
    status, answer = _post(view_module, make(1))
    assert status == 200
    assert (answer["decision"], answer["reason"]) == ("open", "ok")
    [(event_id, decision, reason, grant_id, gate_id)] = _events()
    assert str(event_id) == answer["event_id"]
    assert (decision, reason, gate_id) == ("open", "ok", gate.pk)
    assert grant_id is not None


def test_work_floor_refuses_a_wrong_hmac_and_writes_nothing(floor):
    view_module, make = floor
    request = make(1)
    assert _post(view_module, request, signature="0" * 64)[0] == 403
    tampered = request.body.replace(b'"in"', b'"out"')  # the body changed after signing
    assert _post(view_module, request, body=tampered)[0] == 403
    assert _events() == []


def test_work_floor_denies_a_pass_whose_ed25519_signature_is_forged(floor):
    view_module, make = floor
    request = make(1)
    data = json.loads(request.body)
    head, claims, signature = data["token"].split(".")
    data["token"] = f"{head}.{claims}.{'A' * len(signature)}"
    body = json.dumps(data).encode()
    status, answer = _post(
        view_module, request, body=body, signature=_resign(view_module, request, body)
    )
    assert status == 200
    assert (answer["decision"], answer["reason"]) == ("deny", "bad_signature")
    assert [row[1:4] for row in _events()] == [("deny", "bad_signature", None)]


def test_work_floor_reads_the_grant_from_its_own_table(floor):
    view_module, make = floor
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {work_setup.GRANT_TABLE}")
    status, answer = _post(view_module, make(1))
    assert (status, answer["decision"], answer["reason"]) == (200, "deny", "unknown_grant")
    assert [row[1:3] for row in _events()] == [("deny", "unknown_grant")]


def test_work_floor_denies_a_replayed_nonce_and_records_both_scans(floor):
    view_module, make = floor
    request = make(1)
    first = _post(view_module, request)[1]
    second = _post(view_module, request)[1]
    assert (first["decision"], second["decision"]) == ("open", "deny")
    assert second["reason"] == "replayed"
    assert sorted(row[2] for row in _events()) == ["ok", "replayed"]


def test_work_floor_keeps_the_nonce_in_redis_with_set_nx_ex(
    db, community, gate, tmp_path, monkeypatch, redis_url
):
    import redis

    monkeypatch.setenv("REDIS_URL", redis_url)
    prefix = f"t:{uuid.uuid4().hex}"
    view_module, make = _load_floor(community, gate, tmp_path, monkeypatch, prefix=prefix)
    request = make(1)
    assert _post(view_module, request)[1]["decision"] == "open"
    client = redis.Redis.from_url(redis_url)
    [key] = client.keys(f"{prefix}:*")
    assert key.decode().startswith(f"{prefix}:{gate.pk}:in:")
    assert 0 < client.ttl(key) <= view_module.NONCE_TTL_SECONDS
    assert _post(view_module, request)[1]["reason"] == "replayed"
    client.delete(key)


def test_work_floor_tables_have_the_riders_tables_columns_and_indexes(db):
    work_setup.tables_ensure()
    with connection.cursor() as cursor:
        for copy, original in (
            (work_setup.GRANT_TABLE, "riders_accessgrant"),
            (work_setup.EVENT_TABLE, "riders_accessevent"),
        ):
            shapes = []
            for table in (copy, original):
                cursor.execute(
                    "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                    "WHERE table_name = %s ORDER BY ordinal_position",
                    [table],
                )
                columns = cursor.fetchall()
                cursor.execute(
                    "SELECT regexp_replace(indexdef, '^.* USING ', '') FROM pg_indexes "
                    "WHERE tablename = %s ORDER BY 1",
                    [table],
                )
                shapes.append((columns, cursor.fetchall()))
            assert shapes[0] == shapes[1]
            assert len(shapes[0][1]) >= 2
