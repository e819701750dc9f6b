"""Riders' personal data: masked phones unless staff hold `view_personal_data` (and every
unmasked view audited), a rider's own data page and erasure, and the purge of inactive
riders."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from communities.tests.factories import CommunityFactory, GateFactory
from core.models import AuditEntry
from gatesync.documents import list_entries
from riders.models import (
    AccessEvent,
    AccessGrant,
    Decision,
    Direction,
    EventSource,
    GrantSource,
    GrantStatus,
    Reason,
    Rider,
    RiderDevice,
)
from riders.privacy import (
    ERASE_REASON,
    MY_DATA_EVENTS,
    rider_erase,
    riders_inactive,
    riders_purge_inactive,
)
from riders.services.devices import device_issue
from riders.services.grants import grant_approve, grant_request, grant_revoke
from riders.tasks import purge_inactive_riders
from riders.tests.factories import AccessGrantFactory, RiderFactory
from tests.test_browser_dashboard import CONTRAST_JS

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
MASKED = "138****5678"


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile("face.png", buffer.getvalue(), content_type="image/png")


def _active_grant(rider: Rider, community) -> AccessGrant:
    grant = grant_request(
        rider=rider, community=community, source=GrantSource.PLATFORM, acting_user=None
    )
    if grant.status == GrantStatus.PENDING:
        grant = grant_approve(grant=grant, acting_user=None)
    return grant


def _event(rider: Rider, gate, grant=None, *, when=None) -> AccessEvent:
    return AccessEvent.objects.create(
        gate=gate,
        grant=grant,
        rider=rider,
        direction=Direction.IN,
        decision=Decision.OPEN,
        reason=Reason.OK,
        source=EventSource.ONLINE,
        occurred_at=when or timezone.now(),
    )


def _on_this_phone(client, rider: Rider) -> None:
    client.cookies[settings.RIDERS_DEVICE_COOKIE] = device_issue(rider=rider)


def _grant_perm(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))


# --- masked phones and the permission --------------------------------------------------


def test_staff_without_the_permission_see_a_masked_phone_even_when_asking(
    client, staff_user, community
):
    grant = AccessGrantFactory(community=community, rider__phone=PHONE)
    client.force_login(staff_user)
    url = reverse("riders:staff_rider", args=[grant.rider.pk])
    for answer in (client.get(url), client.get(url, {"show": "phone"})):
        text = answer.content.decode()
        assert MASKED in text and PHONE not in text
        assert "Show the full number" not in text
    assert not AuditEntry.objects.filter(action="personal_data_view").exists()


def test_staff_with_the_permission_see_the_phone_on_request_and_each_view_is_audited(
    client, staff_user, community
):
    grant = AccessGrantFactory(community=community, rider__phone=PHONE)
    _grant_perm(staff_user)
    client.force_login(staff_user)
    url = reverse("riders:staff_rider", args=[grant.rider.pk])
    page = client.get(url).content.decode()
    assert MASKED in page and PHONE not in page and "Show the full number" in page
    assert not AuditEntry.objects.filter(action="personal_data_view").exists()
    for _ in range(2):
        assert PHONE in client.get(url, {"show": "phone"}).content.decode()
    views = AuditEntry.objects.filter(action="personal_data_view")
    assert views.count() == 2
    entry = views.first()
    assert entry.actor == staff_user and entry.object_id == str(grant.rider.pk)
    assert entry.after == {"field": "phone", "rider_id": grant.rider.pk}


def test_the_permission_does_not_open_another_companys_riders(client, other_staff_user, community):
    grant = AccessGrantFactory(community=community, rider__phone=PHONE)
    _grant_perm(other_staff_user)
    client.force_login(other_staff_user)
    url = reverse("riders:staff_rider", args=[grant.rider.pk])
    assert client.get(url, {"show": "phone"}).status_code == 404
    assert not AuditEntry.objects.filter(action="personal_data_view").exists()


def test_admin_lists_mask_phones_and_a_riders_page_unmasks_for_holders_only(
    client, staff_user, community
):
    rider = AccessGrantFactory(community=community, rider__phone=PHONE).rider
    client.force_login(staff_user)
    change = reverse("admin:riders_rider_change", args=[rider.pk])
    listing = reverse("admin:riders_rider_changelist")
    page = client.get(change)
    assert page.status_code == 200
    assert MASKED in page.content.decode() and PHONE not in page.content.decode()
    assert not AuditEntry.objects.filter(action="personal_data_view").exists()

    _grant_perm(staff_user)
    page = client.get(change).content.decode()
    assert PHONE in page
    assert AuditEntry.objects.filter(
        action="personal_data_view", actor=staff_user, object_id=str(rider.pk)
    ).exists()
    text = client.get(listing).content.decode()
    assert MASKED in text and PHONE not in text


# --- the rider's own data ----------------------------------------------------------------


def test_the_pass_page_links_to_my_data(client, rider):
    _on_this_phone(client, rider)
    page = client.get(reverse("riders:pass")).content.decode()
    assert reverse("riders:my_data") in page


def test_my_data_shows_details_masked_phone_grants_and_the_last_events(
    client, rider, community, django_assert_max_num_queries
):
    rider.phone = PHONE
    rider.vehicle_plate = "沪A12345"
    rider.save()
    grant = _active_grant(rider, community)
    gate = GateFactory(community=community, name="North Gate")
    start = timezone.now() - dt.timedelta(hours=2)
    for n in range(MY_DATA_EVENTS + 5):
        _event(rider, gate, grant, when=start + dt.timedelta(minutes=n))
    _on_this_phone(client, rider)
    with django_assert_max_num_queries(6):
        answer = client.get(reverse("riders:my_data"))
    assert answer.status_code == 200
    text = answer.content.decode()
    assert rider.name in text and MASKED in text and PHONE not in text
    assert "沪A12345" in text and community.name in text
    assert len(answer.context["data"].events) == MY_DATA_EVENTS
    assert text.count("North Gate") == MY_DATA_EVENTS
    assert 'for="id_confirm"' in text and 'name="viewport"' in text


def test_my_data_without_a_pass_on_this_phone_is_not_found(client, rider):
    assert client.get(reverse("riders:my_data")).status_code == 404
    assert client.post(reverse("riders:my_data_erase"), {"confirm": "on"}).status_code == 404
    assert Rider.objects.get(pk=rider.pk).name == rider.name


def test_erasing_needs_the_confirmation_box(client, rider, community):
    grant = _active_grant(rider, community)
    _on_this_phone(client, rider)
    answer = client.post(reverse("riders:my_data_erase"), {})
    assert answer.status_code == 400
    assert "Tick the box" in answer.content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert client.get(reverse("riders:my_data_erase")).status_code == 405


def test_erasing_from_the_page_ends_grants_anonymises_events_and_forgets_the_phone(
    client, rider, community, django_capture_on_commit_callbacks
):
    rider.phone = PHONE
    rider.vehicle_plate = "沪A12345"
    rider.photo = _photo()
    rider.save()
    photo_name = rider.photo.name
    storage = rider.photo.storage
    assert storage.exists(photo_name)
    active = _active_grant(rider, community)
    other = CommunityFactory(company=community.company)
    pending = grant_request(
        rider=rider, community=other, source=GrantSource.MANUAL, acting_user=None
    )
    gate = GateFactory(community=community)
    when = timezone.now() - dt.timedelta(minutes=5)
    event = _event(rider, gate, active, when=when)
    assert [row[1] for row in list_entries(community.pk)] == [rider.pk]
    _on_this_phone(client, rider)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("riders:my_data_erase"), {"confirm": "on"})
    assert answer.status_code == 200
    assert "Your data is deleted" in answer.content.decode()
    assert answer.cookies[settings.RIDERS_DEVICE_COOKIE].value == ""

    for grant in (active, pending):
        grant.refresh_from_db()
        assert grant.status == GrantStatus.REVOKED and grant.reason == ERASE_REASON
    assert list_entries(community.pk) == []  # the gates' list drops the rider
    rider.refresh_from_db()
    assert (rider.name, rider.phone, rider.station, rider.vehicle_plate) == ("", "", "", "")
    assert not rider.photo and not storage.exists(photo_name)
    assert rider.platform_rider_id == f"erased-{rider.pk}"
    event.refresh_from_db()
    assert event.rider_id is None and event.grant_id is None
    assert (event.gate_id, event.decision, event.occurred_at) == (gate.pk, Decision.OPEN, when)
    assert not RiderDevice.objects.filter(rider=rider).exists()
    entry = AuditEntry.objects.get(action="rider_erase")
    assert entry.object_id == str(rider.pk)
    assert entry.after["grants_revoked"] == 2 and entry.after["events_anonymised"] == 1
    assert PHONE not in str(list(AuditEntry.objects.values_list("before", "after")))
    assert AuditEntry.objects.filter(action="grant_revoke").count() == 2
    # The old cookie opens nothing any more.
    assert "No pass on this phone" in client.get(reverse("riders:pass")).content.decode()


def test_the_photo_file_is_gone_after_erasure(rider, django_capture_on_commit_callbacks):
    rider.photo = _photo()
    rider.save()
    name, storage = rider.photo.name, rider.photo.storage
    with django_capture_on_commit_callbacks(execute=True):
        rider_erase(rider=rider)
    assert not storage.exists(name)


def test_erasing_twice_changes_nothing_more(rider, community):
    _active_grant(rider, community)
    rider_erase(rider=rider)
    again = rider_erase(rider=rider)
    assert again["grants_revoked"] == 0 and again["events_anonymised"] == 0
    assert AuditEntry.objects.filter(action="grant_revoke").count() == 1


# --- purging inactive riders -----------------------------------------------------------


def _age(rider: Rider, days: int) -> None:
    past = timezone.now() - dt.timedelta(days=days)
    Rider.objects.filter(pk=rider.pk).update(updated_at=past)
    AccessGrant.objects.filter(rider=rider).update(updated_at=past)


def test_purge_erases_only_riders_inactive_for_the_period(community):
    gate = GateFactory(community=community)
    old = timezone.now() - dt.timedelta(days=400)

    active = RiderFactory(name="Active but quiet")
    _active_grant(active, community)
    _age(active, 400)

    gone = RiderFactory(name="Gone")
    grant = _active_grant(gone, community)
    grant_revoke(grant=grant, reason="left the job", acting_user=None)
    _event(gone, gate, grant, when=old)
    _age(gone, 400)

    recent_event = RiderFactory(name="Scanned lately")
    _event(recent_event, gate, when=timezone.now() - dt.timedelta(days=3))
    _age(recent_event, 400)

    recently_changed = RiderFactory(name="Updated lately")
    _age(recently_changed, 10)

    never_registered = RiderFactory(name="Never came")
    _age(never_registered, 366)

    assert set(riders_inactive(days=365)) == {gone, never_registered}
    assert riders_purge_inactive(days=365) == 2
    names = dict(Rider.objects.values_list("pk", "name"))
    assert names[gone.pk] == "" and names[never_registered.pk] == ""
    assert names[active.pk] == "Active but quiet"
    assert names[recent_event.pk] == "Scanned lately"
    assert names[recently_changed.pk] == "Updated lately"
    assert not AccessEvent.objects.filter(rider=gone).exists()
    assert AccessEvent.objects.filter(gate=gate, rider=None).count() == 1
    # Erased riders are no longer candidates: a second run does nothing.
    assert riders_purge_inactive(days=365) == 0


def test_the_purge_task_uses_the_configured_period_and_is_scheduled(settings, community):
    settings.RIDERS_INACTIVE_PURGE_DAYS = 30
    quiet = RiderFactory(name="Quiet")
    _age(quiet, 40)
    kept = RiderFactory(name="Kept")
    _age(kept, 20)
    assert purge_inactive_riders.delay().get() == "erased 1 inactive riders"
    assert Rider.objects.get(pk=quiet.pk).name == ""
    assert Rider.objects.get(pk=kept.pk).name == "Kept"
    beat = settings.CELERY_BEAT_SCHEDULE["riders-purge-inactive"]
    assert beat["task"] == "riders.tasks.purge_inactive_riders" == purge_inactive_riders.name


# --- on a phone ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rider_reads_and_deletes_their_data_on_a_360_px_phone(
    live_server, phone_page, community, platform, screenshot_dir
):
    import os

    rider = RiderFactory(platform=platform, name="李雷", phone=PHONE, vehicle_plate="沪A12345")
    grant = _active_grant(rider, community)
    _event(rider, GateFactory(community=community, name="North Gate"), grant)
    page = phone_page
    page.context.add_cookies(
        [
            {
                "name": settings.RIDERS_DEVICE_COOKIE,
                "value": device_issue(rider=rider),
                "url": live_server.url,
            }
        ]
    )
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"{live_server.url}/pass/")
    page.get_by_role("link", name="My data: see or delete it").click()
    page.wait_for_url("**/pass/my-data/")
    assert page.get_by_role("heading", name="My data", exact=True).is_visible()
    assert MASKED in page.inner_text("main") and PHONE not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    button = page.get_by_role("button", name="Delete my data")
    for selector in (
        ".my-data dt",
        ".my-data dd",
        ".erase h2",
        ".erase p",
        ".erase label",
        ".erase button",
    ):
        assert page.evaluate(CONTRAST_JS, selector) >= 4.5, selector
    page.screenshot(path=os.path.join(screenshot_dir, "rider-my-data-phone.png"), full_page=True)

    button.click()  # not confirmed yet: the page says so, next to the box
    page.wait_for_selector(".field--check .field-error")
    assert page.evaluate(CONTRAST_JS, ".field--check .field-error") >= 4.5
    box = page.get_by_label("I understand: my passes stop working")
    assert box.get_attribute("aria-invalid") == "true"
    box.check()
    page.get_by_role("button", name="Delete my data").click()
    page.wait_for_selector("text=Your data is deleted")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert Rider.objects.get(pk=rider.pk).phone == ""
    page.goto(f"{live_server.url}/pass/")
    assert "No pass on this phone" in page.inner_text("main")
