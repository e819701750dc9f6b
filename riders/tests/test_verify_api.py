"""Online verification: controllers sign with HMAC, guards use their session; every
reason is recorded as an event."""

import datetime as dt
import json
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from communities.services import rules_publish
from communities.tests.factories import CommunityFactory, GateControllerFactory, GateFactory
from riders.models import AccessEvent
from riders.services import grants
from riders.services.keys import pass_key_rotate, pass_token_issue
from riders.tests.factories import AccessGrantFactory, controller_meta
from tests.entrance import EntranceClient

URL = "/api/v1/gates/verify"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture(params=["full stack", "machine entrance"])
def client(request):
    """Every test twice: through Django's full middleware stack, and routed as the
    deployed entrance routes it (signed controller requests skip sessions, CSRF, axes and
    CSP; portal/machine.py)."""
    return Client() if request.param == "full stack" else EntranceClient()


@pytest.fixture
def controller(gate):
    return GateControllerFactory(gate=gate, secret="controller-secret")


@pytest.fixture
def grant(rider, community):
    return AccessGrantFactory(rider=rider, community=community)


def signed_post(client, controller, payload, *, secret=None, stamp=None):
    body = json.dumps(payload).encode()
    meta = controller_meta(controller, "POST", URL, body, secret=secret, timestamp=stamp)
    return client.post(URL, body, content_type="application/json", **meta)


def test_a_fresh_pass_opens_the_gate_and_the_event_is_recorded(client, controller, gate, grant):
    response = signed_post(
        client, controller, {"token": pass_token_issue(grant=grant), "gate": gate.entry_code}
    )
    body = response.json()
    assert response.status_code == 200, body
    assert (body["decision"], body["reason"]) == ("open", "ok")
    assert body["rider"]["name"] == "李雷" and body["rider"]["phone_masked"] == "138****5678"
    event = AccessEvent.objects.get(event_id=body["event_id"])
    assert (event.gate, event.grant, event.direction, event.decision) == (gate, grant, "in", "open")


def test_the_same_pass_twice_at_one_gate_is_a_replay(client, controller, gate, grant):
    token = pass_token_issue(grant=grant)
    assert (
        signed_post(client, controller, {"token": token, "gate": gate.entry_code}).json()[
            "decision"
        ]
        == "open"
    )
    again = signed_post(client, controller, {"token": token, "gate": gate.entry_code}).json()
    assert (again["decision"], again["reason"]) == ("deny", "replayed")


def test_entry_and_exit_are_both_recorded(client, controller, gate, grant):
    for direction in ("in", "out"):
        body = signed_post(
            client,
            controller,
            {
                "token": pass_token_issue(grant=grant),
                "gate": gate.entry_code,
                "direction": direction,
            },
        ).json()
        assert body["decision"] == "open"
    assert list(
        AccessEvent.objects.order_by("recorded_at").values_list("direction", flat=True)
    ) == ["in", "out"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda g, u: grants.grant_revoke(grant=g, reason="conduct", acting_user=u), "revoked"),
        (lambda g, u: grants.grant_suspend(grant=g, reason="check", acting_user=u), "suspended"),
    ],
)
def test_revoked_and_suspended_grants_are_denied(
    client, controller, gate, grant, staff_user, change, reason
):
    token = pass_token_issue(grant=grant)
    change(grant, staff_user)
    body = signed_post(client, controller, {"token": token, "gate": gate.entry_code}).json()
    assert (body["decision"], body["reason"]) == ("deny", reason)


def test_an_expired_pass_is_denied(client, controller, gate, grant):
    old = pass_token_issue(grant=grant, now=timezone.now() - dt.timedelta(minutes=2))
    assert (
        signed_post(client, controller, {"token": old, "gate": gate.entry_code}).json()["reason"]
        == "expired"
    )


def test_a_tampered_pass_is_not_genuine(client, controller, gate, grant):
    token = pass_token_issue(grant=grant)
    head, payload, sig = token.split(".")
    forged = ".".join([head, payload, ("A" if sig[0] != "A" else "B") + sig[1:]])
    assert (
        signed_post(client, controller, {"token": forged, "gate": gate.entry_code}).json()["reason"]
        == "bad_signature"
    )


def test_a_pass_for_another_community_is_denied(client, controller, gate, rider):
    elsewhere = AccessGrantFactory(rider=rider, community=CommunityFactory())
    body = signed_post(
        client, controller, {"token": pass_token_issue(grant=elsewhere), "gate": gate.entry_code}
    ).json()
    assert body["reason"] == "other_community"


def test_outside_the_gates_hours_is_denied(client, controller, gate, grant):
    now = timezone.localtime()
    gate.opens_at = (now + dt.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    gate.closes_at = (now + dt.timedelta(hours=3)).time().replace(second=0, microsecond=0)
    gate.save()
    body = signed_post(
        client, controller, {"token": pass_token_issue(grant=grant), "gate": gate.entry_code}
    ).json()
    assert body["reason"] == "outside_hours"


def test_no_entry_policy_denies(client, controller, gate, grant, staff_user):
    rules_publish(
        community=gate.community,
        acting_user=staff_user,
        entry_policy="no_entry",
        handoff_point="Lobby shelves",
    )
    body = signed_post(
        client, controller, {"token": pass_token_issue(grant=grant), "gate": gate.entry_code}
    ).json()
    assert body["reason"] == "no_entry"


def test_a_pass_signed_before_a_key_rotation_still_verifies(client, controller, gate, grant):
    token = pass_token_issue(grant=grant)
    pass_key_rotate(acting_user=None)
    assert (
        signed_post(client, controller, {"token": token, "gate": gate.entry_code}).json()[
            "decision"
        ]
        == "open"
    )


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "wrong"},
        {"stamp": int(time.time()) - 3600},
    ],
)
def test_badly_signed_or_stale_requests_are_refused(client, controller, gate, grant, tamper):
    response = signed_post(client, controller, {"token": "x", "gate": gate.entry_code}, **tamper)
    assert response.status_code == 403
    assert not AccessEvent.objects.exists()


def test_a_controller_cannot_verify_at_another_communitys_gate(client, controller, grant):
    foreign_gate = GateFactory(community=CommunityFactory())
    response = signed_post(
        client,
        controller,
        {"token": pass_token_issue(grant=grant), "gate": foreign_gate.entry_code},
    )
    assert response.status_code == 404


def test_a_guard_verifies_with_the_session_others_cannot(
    client, gate, grant, staff_user, other_staff_user
):
    client.force_login(staff_user)
    body = client.post(
        URL,
        {"token": pass_token_issue(grant=grant), "gate": gate.entry_code},
        content_type="application/json",
    ).json()
    assert body["decision"] == "open"
    assert AccessEvent.objects.get().source == "guard"
    client.force_login(other_staff_user)
    response = client.post(
        URL,
        {"token": pass_token_issue(grant=grant), "gate": gate.entry_code},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_anonymous_callers_and_bad_bodies_get_clear_4xx(client, controller, gate):
    assert (
        client.post(
            URL, {"token": "x", "gate": gate.entry_code}, content_type="application/json"
        ).status_code
        == 403
    )
    response = signed_post(client, controller, {"gate": gate.entry_code})
    assert response.status_code == 400 and "token" in response.json()["errors"]
    response = signed_post(
        client, controller, {"token": "x", "gate": gate.entry_code, "direction": "sideways"}
    )
    assert response.status_code == 400


def test_garbage_tokens_are_denied_as_malformed_never_500(client, controller, gate):
    for token in ("", "a.b.c", "🙂" * 50, "eyJhbGciOiJub25lIn0.e30."):
        response = signed_post(client, controller, {"token": token or " ", "gate": gate.entry_code})
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert response.json()["reason"] in ("malformed", "bad_signature")


def test_happy_path_queries_stay_small(
    client, controller, gate, grant, django_assert_max_num_queries
):
    token = pass_token_issue(grant=grant)
    with django_assert_max_num_queries(8):
        assert (
            signed_post(client, controller, {"token": token, "gate": gate.entry_code}).json()[
                "decision"
            ]
            == "open"
        )


def test_jwks_publishes_the_signing_key_and_keeps_a_retired_one(client, db):
    from riders.services.keys import pass_key_current

    first = pass_key_current()
    keys = client.get("/api/v1/keys").json()["keys"]
    assert [k["kid"] for k in keys] == [first.kid] and "d" not in keys[0]
    second = pass_key_rotate(acting_user=None)
    kids = [k["kid"] for k in client.get("/api/v1/keys").json()["keys"]]
    # The signing key, the next one (published before it signs), the retired one.
    assert kids[0] == second.kid and kids[2:] == [first.kid] and len(kids) == 3


@pytest.mark.parametrize("odd_gate", ["\u0000", "abc\u0000", "²", "9" * 40])
def test_an_odd_gate_is_a_404_never_a_500(client, controller, grant, odd_gate):
    """Red team: a NUL byte reached PostgreSQL (500); "²" passes isdigit() but not int()."""
    response = signed_post(
        client, controller, {"token": pass_token_issue(grant=grant), "gate": odd_gate}
    )
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("value", ["\ud800", "gate\x00"])
def test_a_gate_postgresql_cannot_hold_is_no_such_gate_not_a_500(client, controller, grant, value):
    """A lone surrogate ("\\ud800" in the JSON) or a NUL cannot be in any gate's code."""
    response = signed_post(
        client, controller, {"token": pass_token_issue(grant=grant), "gate": value}
    )
    assert response.status_code == 404, response.content
