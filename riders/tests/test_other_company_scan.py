"""Issue 16, finding 11: a pass shown at another company's gate is denied with no word
about its rider, and that company's records do not name the rider either."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from communities.tests.factories import CommunityFactory, GateFactory
from riders.models import AccessEvent, Reason
from riders.services.keys import pass_token_issue
from riders.services.verification import pass_verify
from riders.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def green_grant(community):
    return AccessGrantFactory(
        community=community, rider__name="李雷", rider__station="Xuhui Station"
    )


@pytest.fixture
def blue_gate(other_company):
    return GateFactory(community=CommunityFactory(company=other_company), name="Blue gate")


def test_a_pass_at_another_companys_gate_is_denied_without_the_riders_data(
    client, other_staff_user, green_grant, blue_gate
):
    client.force_login(other_staff_user)  # blue's guard, at blue's console
    response = client.post(
        reverse("riders-verify"),
        data=json.dumps(
            {"token": pass_token_issue(grant=green_grant), "gate": blue_gate.entry_code}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["decision"], body["reason"]) == ("deny", "other_community")
    assert body["rider"] is None
    text = response.content.decode()
    for leak in ("李雷", "Xuhui", green_grant.rider.phone_masked):
        assert leak not in text


def test_another_companys_records_do_not_name_the_rider_whose_pass_was_shown(
    client, other_staff_user, green_grant, blue_gate
):
    decision = pass_verify(
        token=pass_token_issue(grant=green_grant), gate=blue_gate, direction="in"
    )
    assert decision.reason == Reason.OTHER_COMMUNITY
    assert decision.rider is None and decision.grant is None
    event = AccessEvent.objects.get(gate=blue_gate)
    assert event.rider_id is None and event.grant_id is None
    # Blue's guard console lists the scan without a name.
    client.force_login(other_staff_user)
    events = client.get(reverse("riders:guard_events", args=[blue_gate.entry_code])).json()
    assert "李雷" not in json.dumps(events, ensure_ascii=False)
