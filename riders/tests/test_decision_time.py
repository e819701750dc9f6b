"""How long a gate took to decide (`AccessEvent.decision_ms`): online verification times
itself; controllers may report it per event (docs/gate-protocol.md §4), validated: a value
that is not a whole number of milliseconds in 0..60,000 refuses the batch with a 400 naming
the field, never a 500."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone

from communities.tests.factories import GateControllerFactory
from riders.models import AccessEvent
from riders.services.keys import pass_key_current, pass_token_issue
from riders.services.verification import pass_verify
from riders.tests.factories import AccessGrantFactory, controller_meta

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/gates/events"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # nonces of other tests
    yield
    cache.clear()


@pytest.fixture
def controller(gate):
    return GateControllerFactory(gate=gate, secret="events-secret")


def _event(**extra):
    return {
        "event_id": str(uuid.uuid4()),
        "direction": "in",
        "decision": "open",
        "reason": "ok",
        "occurred_at": timezone.now().isoformat(),
        **extra,
    }


def _upload(client, controller, raw: bytes):
    meta = controller_meta(controller, "POST", EVENTS, raw)
    return client.post(EVENTS, raw, content_type="application/json", **meta)


def test_online_verification_records_how_long_it_took(community, gate, rider):
    pass_key_current()
    grant = AccessGrantFactory(rider=rider, community=community)
    decision = pass_verify(token=pass_token_issue(grant=grant), gate=gate, direction="in")
    event = AccessEvent.objects.get(pk=decision.event.pk)
    assert event.decision == "open"
    assert isinstance(event.decision_ms, int)
    assert 0 <= event.decision_ms < 60_000


def test_a_controller_reports_decision_times_optionally(client, controller):
    timed, integral_float, untimed, null = (
        _event(decision_ms=85),
        _event(decision_ms=120.0),
        _event(),
        _event(decision_ms=None),
    )
    raw = json.dumps({"events": [timed, integral_float, untimed, null]}).encode()
    answer = _upload(client, controller, raw)
    assert answer.status_code == 200, answer.content
    assert answer.json()["accepted"] == 4
    stored = dict(AccessEvent.objects.values_list("event_id", "decision_ms"))
    assert [stored[uuid.UUID(e["event_id"])] for e in (timed, integral_float, untimed, null)] == [
        85,
        120,
        None,
        None,
    ]


@pytest.mark.parametrize(
    "value",
    ["-1", "60001", "1" + "0" * 30, "1e400", "12.5", '"12"', "true", "[]", "{}"],
)
def test_a_bad_decision_time_is_a_400_naming_the_field(client, controller, value):
    good = json.dumps(_event(decision_ms=10))
    bad = json.dumps(_event()).rstrip("}") + f', "decision_ms": {value}}}'
    raw = f'{{"events": [{good}, {bad}]}}'.encode()
    answer = _upload(client, controller, raw)
    assert answer.status_code == 400, (value, answer.content)
    body = answer.json()
    assert list(body["errors"]) == ["events[1].decision_ms"]
    assert "0 to 60000" in body["errors"]["events[1].decision_ms"][0]
    assert not AccessEvent.objects.exists()  # the batch is refused whole


def test_nan_is_not_json_and_refused_as_a_malformed_body(client, controller):
    raw = ('{"events": [' + json.dumps(_event()).rstrip("}") + ', "decision_ms": NaN}]}').encode()
    answer = _upload(client, controller, raw)
    assert answer.status_code == 400
    assert not AccessEvent.objects.exists()


def test_the_bounds_themselves_are_accepted(client, controller):
    raw = json.dumps({"events": [_event(decision_ms=0), _event(decision_ms=60_000)]}).encode()
    answer = _upload(client, controller, raw)
    assert answer.json()["accepted"] == 2
    assert sorted(AccessEvent.objects.values_list("decision_ms", flat=True)) == [0, 60_000]
