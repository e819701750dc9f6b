"""Issue 21.2: the pass page has one headline that follows the state, and /pass/tokens
tells pass.js why a grant has no code (so the page updates itself without a reload)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from communities.tests.factories import CommunityFactory
from riders.models import GrantStatus
from riders.services.grants import grant_revoke
from riders.services.registration import device_issue
from riders.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(client, rider):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.cookies[settings.RIDERS_DEVICE_COOKIE] = device_issue(rider=rider)
    return client


def _headline(html: str) -> tuple[str, str]:
    match = re.search(
        r'class="pass-headline pass-headline--(\w+)" id="pass-headline".*?>([^<]*)</div>',
        html,
        re.S,
    )
    assert match, "no headline"
    return match.group(1), match.group(2)


def test_headline_is_valid_with_a_code_and_revoked_with_the_reason(phone, rider, company):
    community = CommunityFactory(company=company, name="Garden Court")
    grant = AccessGrantFactory(rider=rider, community=community, status=GrantStatus.ACTIVE)
    assert _headline(phone.get(reverse("riders:pass")).content.decode()) == (
        "valid",
        "Valid: show the code at the gate",
    )
    grant_revoke(grant=grant, reason="Identity not confirmed", acting_user=None)
    state, text = _headline(phone.get(reverse("riders:pass")).content.decode())
    assert (state, text) == (
        "revoked",
        "Your pass for Garden Court was withdrawn. Identity not confirmed",
    )


def test_headline_says_pending_while_waiting(phone, rider, company):
    AccessGrantFactory(rider=rider, community=CommunityFactory(company=company), status="pending")
    state, text = _headline(phone.get(reverse("riders:pass")).content.decode())
    assert state == "pending" and "Waiting for approval" in text


def test_tokens_name_the_state_of_grants_without_a_code(phone, rider, company):
    grant = AccessGrantFactory(
        rider=rider, community=CommunityFactory(company=company), status=GrantStatus.ACTIVE
    )
    data = phone.get(reverse("riders:pass_tokens")).json()
    assert [p["state"] for p in data["passes"]] == ["active"] and data["others"] == []
    grant_revoke(grant=grant, reason="Lent the pass", acting_user=None)
    data = phone.get(reverse("riders:pass_tokens")).json()
    assert data["passes"] == []
    assert data["others"][0]["grant_id"] == grant.pk
    assert data["others"][0]["state"] == "revoked"
    assert "Lent the pass" in data["others"][0]["state_text"]
    assert data["others"][0]["headline"].endswith("was withdrawn. Lent the pass")
