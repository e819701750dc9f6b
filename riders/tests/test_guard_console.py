import json

import pytest
from django.urls import reverse

from communities.tests.factories import GateFactory
from core.models import AuditEntry
from riders.models import AccessEvent
from riders.services.grants import grant_revoke
from riders.services.keys import pass_token_issue
from riders.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db


def _verify(client, gate, token, direction="in"):
    return client.post(
        reverse("riders-verify"),
        data=json.dumps({"token": token, "gate": gate.entry_code, "direction": direction}),
        content_type="application/json",
    )


def test_console_for_guard_and_404_for_other_company(client, staff_user, other_staff_user, gate):
    url = reverse("riders:guard_console", args=[gate.entry_code])
    assert client.get(url).status_code == 302  # log in first
    client.force_login(other_staff_user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("riders:guard_events", args=[gate.entry_code])).status_code == 404
    client.force_login(staff_user)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert gate.name in page and 'aria-pressed="true"' in page
    assert "vendor/jsqr/jsQR.js" in page and 'for="token"' in page
    assert client.get(reverse("riders:guard_console", args=["nope"])).status_code == 404


def test_scan_from_console_records_events_listed_newest_first(
    client, staff_user, gate, community, django_assert_max_num_queries
):
    grant = AccessGrantFactory(community=community, rider__name="李雷")
    client.force_login(staff_user)
    answer = _verify(client, gate, pass_token_issue(grant=grant)).json()
    assert answer["decision"] == "open" and answer["rider"]["name"] == "李雷"
    assert answer["rider"]["phone_masked"] != grant.rider.phone
    grant_revoke(grant=grant, reason="Lost", acting_user=staff_user)
    answer = _verify(client, gate, pass_token_issue(grant=grant), direction="out").json()
    assert answer["decision"] == "deny" and answer["reason"] == "revoked"
    for _ in range(25):
        AccessEvent.objects.create(
            gate=gate,
            rider=grant.rider,
            grant=grant,
            direction="in",
            decision="open",
            reason="ok",
            source="guard",
        )
    url = reverse("riders:guard_events", args=[gate.entry_code])
    with django_assert_max_num_queries(6):
        events = client.get(url).json()["events"]
    assert len(events) == 20
    assert all(e["rider"] == "李雷" for e in events)


def test_rotate_code_changes_console_address_and_is_audited(
    client, staff_user, other_staff_user, gate
):
    old = gate.entry_code
    client.force_login(other_staff_user)
    assert client.post(reverse("riders:gate_rotate", args=[gate.pk])).status_code == 404
    client.force_login(staff_user)
    response = client.post(reverse("riders:gate_rotate", args=[gate.pk]), {"confirm": "yes"})
    gate.refresh_from_db()
    assert gate.entry_code != old
    assert response["Location"] == reverse("riders:guard_console", args=[gate.entry_code])
    assert client.get(reverse("riders:guard_console", args=[old])).status_code == 404
    assert AuditEntry.objects.filter(action="gate_code_rotate").exists()


def test_other_gate_of_same_company_is_its_own_console(client, staff_user, community, gate):
    second = GateFactory(community=community, name="South Gate")
    client.force_login(staff_user)
    page = client.get(reverse("riders:guard_console", args=[second.entry_code])).content.decode()
    assert "South Gate" in page and "North Gate" not in page


def test_new_gate_code_needs_a_confirmation_that_says_posters_die(client, staff_user, gate):
    old = gate.entry_code
    client.force_login(staff_user)
    url = reverse("riders:gate_rotate", args=[gate.pk])
    for response in (
        client.get(url, HTTP_ACCEPT_LANGUAGE="en"),
        client.post(url, HTTP_ACCEPT_LANGUAGE="en"),
    ):
        assert response.status_code == 200
        assert "stops working" in response.content.decode()
    gate.refresh_from_db()
    assert gate.entry_code == old
    response = client.post(url, {"confirm": "yes"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    gate.refresh_from_db()
    assert gate.entry_code != old
    said = [str(m) for m in response.context["messages"]]
    assert said == [
        f"{gate.name} of {gate.community.name} has a new code. Every poster printed before "
        "no longer works: print and hang new ones."
    ]


def test_guard_logs_in_on_last100s_own_page_and_lands_on_their_gates(
    client, staff_user, other_company, gate, community, django_assert_max_num_queries
):
    from communities.tests.factories import CommunityFactory

    staff_user.set_password("pw-guard-123")
    staff_user.save()
    GateFactory(community=CommunityFactory(company=other_company), name="Far")
    console = reverse("riders:guard_console", args=[gate.entry_code])
    response = client.get(console)
    assert response["Location"].startswith(reverse("riders:guard_login"))
    page = client.get(reverse("riders:guard_login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Guards' log-in" in page and 'class="brand"' in page and "lang-switch" in page
    response = client.post(
        reverse("riders:guard_login"), {"username": "staff.green", "password": "pw-guard-123"}
    )
    assert response["Location"] == reverse("riders:guard_home")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("riders:guard_home"))
    page = response.content.decode()
    assert console in page and "North Gate" in page and "Far" not in page
    page = client.get(console, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("riders:guard_logout") in page and "Log out" in page
    response = client.post(reverse("riders:guard_logout"))
    assert response["Location"] == reverse("riders:guard_login")
    assert client.get(console).status_code == 302


def test_event_wording_is_the_same_on_first_load_and_live_refresh(
    client, staff_user, gate, community
):
    grant = AccessGrantFactory(community=community, rider__name="李雷")
    client.force_login(staff_user)
    _verify(client, gate, pass_token_issue(grant=grant))
    grant_revoke(grant=grant, reason="x", acting_user=staff_user)
    _verify(client, gate, pass_token_issue(grant=grant))
    for lang, words in (("zh-hans", ("放行", "拒绝")), ("en", ("OPEN", "DENIED"))):
        page = client.get(
            reverse("riders:guard_console", args=[gate.entry_code]), HTTP_ACCEPT_LANGUAGE=lang
        ).content.decode()
        live = client.get(
            reverse("riders:guard_events", args=[gate.entry_code]), HTTP_ACCEPT_LANGUAGE=lang
        ).json()["events"]
        assert [e["text"] for e in live] and all(e["text"] in page for e in live)
        assert words[0] in live[1]["text"] and words[1] in live[0]["text"]


def test_a_rider_without_photo_gives_the_guard_the_plate_to_check(
    client, staff_user, gate, community
):
    grant = AccessGrantFactory(community=community, rider__vehicle_plate="沪A9", rider__photo="")
    client.force_login(staff_user)
    rider = _verify(client, gate, pass_token_issue(grant=grant)).json()["rider"]
    assert rider["photo_url"] is None and rider["vehicle_plate"] == "沪A9"
    page = client.get(
        reverse("riders:guard_console", args=[gate.entry_code]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "No photo on file. Check the name and plate" in page
    page = client.get(
        reverse("riders:staff_rider", args=[grant.rider.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "没有存档照片" in page
