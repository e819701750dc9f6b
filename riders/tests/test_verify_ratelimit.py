"""A controller's scan is counted in the "verify" limit once its pass is decided, with
the pass's nonce claimed in the same Redis round trip (core.security.ratelimit.Admission):
over the limit it answers 429, records no event and claims no nonce."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache

from riders.models import AccessEvent
from riders.services.keys import pass_token_issue
from riders.tests import test_verify_api as verify_tests
from riders.tests.factories import controller_meta

pytestmark = pytest.mark.django_db

client = verify_tests.client
controller = verify_tests.controller
grant = verify_tests.grant
signed_post = verify_tests.signed_post


@pytest.fixture(autouse=True)
def limits(settings):
    settings.SECURITY_RATELIMIT_ENABLED = True
    settings.SECURITY_RATE_LIMITS = {**settings.SECURITY_RATE_LIMITS, "verify": "2/m"}
    left = 60 - time.time() % 60  # one fixed one-minute window for the whole test
    if left < 10:
        time.sleep(left + 0.05)
    cache.clear()
    yield
    cache.clear()


def test_a_controllers_scans_over_the_limit_record_nothing_and_claim_no_nonce(
    client, controller, gate, grant, settings
):
    bad = {"token": "not-a-pass", "gate": gate.entry_code}
    assert signed_post(client, controller, bad).json()["reason"] == "malformed"  # counted
    token = pass_token_issue(grant=grant)
    good = {"token": token, "gate": gate.entry_code}
    assert signed_post(client, controller, good).json()["decision"] == "open"
    assert AccessEvent.objects.count() == 2
    third = {"token": pass_token_issue(grant=grant), "gate": gate.entry_code}
    limited = signed_post(client, controller, third)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert AccessEvent.objects.count() == 2  # nothing recorded over the limit
    # Its nonce was not claimed: with room in the limit, the same pass opens; the one
    # that opened before is a replay.
    settings.SECURITY_RATE_LIMITS = {**settings.SECURITY_RATE_LIMITS, "verify": "10/m"}
    assert signed_post(client, controller, third).json()["decision"] == "open"
    assert signed_post(client, controller, good).json()["reason"] == "replayed"


def test_requests_refused_before_the_pass_count_too(client, controller, gate, grant):
    other = {"token": pass_token_issue(grant=grant), "gate": "no-such-gate"}
    assert [signed_post(client, controller, other).status_code for _ in range(2)] == [404, 404]
    good = {"token": pass_token_issue(grant=grant), "gate": gate.entry_code}
    assert signed_post(client, controller, good).status_code == 429
    assert not AccessEvent.objects.exists()


def test_a_replayed_request_is_refused_records_nothing_and_claims_no_pass_nonce(
    client, controller, gate, grant, settings
):
    """The request's nonce is claimed with the count: a replay is refused as before."""
    settings.SECURITY_RATE_LIMITS = {**settings.SECURITY_RATE_LIMITS, "verify": "10/m"}
    body = json.dumps({"token": pass_token_issue(grant=grant), "gate": gate.entry_code}).encode()
    meta = controller_meta(controller, "POST", verify_tests.URL, body, nonce="n" * 22)
    first = client.post(verify_tests.URL, body, content_type="application/json", **meta)
    assert first.json()["decision"] == "open"
    again = client.post(verify_tests.URL, body, content_type="application/json", **meta)
    assert again.status_code == 403 and again.json()["code"] == "replayed"
    assert AccessEvent.objects.count() == 1
    # A pass whose request was a replay keeps its nonce: sent again, properly, it opens.
    token = pass_token_issue(grant=grant)
    body = json.dumps({"token": token, "gate": gate.entry_code}).encode()
    meta_replay = controller_meta(controller, "POST", verify_tests.URL, body, nonce="n" * 22)
    refused = client.post(verify_tests.URL, body, content_type="application/json", **meta_replay)
    assert refused.status_code == 403 and refused.json()["code"] == "replayed"
    meta = controller_meta(controller, "POST", verify_tests.URL, body)
    fresh = client.post(verify_tests.URL, body, content_type="application/json", **meta)
    assert fresh.json()["decision"] == "open"
