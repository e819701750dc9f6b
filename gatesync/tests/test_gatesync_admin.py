"""Gate controllers in the admin: health per controller, scoped to the company, with
"sync now" and "full resync"; and `manage.py sync_gates`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from communities.tests.factories import GateControllerFactory, GateFactory
from gatesync.documents import head_version
from gatesync.models import ControllerSync
from riders.models import GrantSource
from riders.services.grants import grant_request
from riders.tests.factories import RiderFactory

pytestmark = pytest.mark.django_db

# Nothing listens here: pushes fail at once with "connection refused".
DEAD = "http://127.0.0.1:9/"


def _grant(community):
    return grant_request(
        rider=RiderFactory(), community=community, source=GrantSource.PLATFORM, acting_user=None
    )


def test_the_list_shows_each_controllers_health(client, staff_user, community, gate):
    in_sync = GateControllerFactory(gate=gate, name="Left lane", endpoint=DEAD)
    behind = GateControllerFactory(gate=gate, name="Right lane", endpoint=DEAD)
    _grant(community)
    head = head_version(community.pk)
    ControllerSync.objects.filter(controller=in_sync).update(version_held=head)
    ControllerSync.objects.filter(controller=behind).update(version_held=head - 1)
    client.force_login(staff_user)
    page = client.get(
        reverse("admin:communities_gatecontroller_changelist"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "in sync" in text and "1 change behind" in text


def test_the_list_query_count_does_not_grow_with_controllers(
    client, staff_user, community, gate, django_assert_max_num_queries
):
    client.force_login(staff_user)
    url = reverse("admin:communities_gatecontroller_changelist")
    GateControllerFactory(gate=gate, endpoint=DEAD)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(10):
        GateControllerFactory(gate=GateFactory(community=community), endpoint=DEAD)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_another_companys_staff_see_no_controller(client, other_staff_user, gate):
    controller = GateControllerFactory(gate=gate, endpoint=DEAD)
    client.force_login(other_staff_user)
    listing = client.get(reverse("admin:communities_gatecontroller_changelist"))
    assert controller.name not in listing.content.decode()
    page = client.get(reverse("admin:communities_gatecontroller_change", args=[controller.pk]))
    assert page.status_code in (302, 404)


def test_sync_now_records_an_unreachable_controller_as_offline(client, staff_user, gate):
    controller = GateControllerFactory(gate=gate, endpoint=DEAD)
    client.force_login(staff_user)
    answer = client.post(
        reverse("admin:communities_gatecontroller_changelist"),
        {"action": "full_resync", "_selected_action": [controller.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 302
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.offline_since is not None and sync.failures == 1
    assert "127.0.0.1:9" in sync.last_error
    listing = client.get(
        reverse("admin:communities_gatecontroller_changelist"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "offline since" in listing.content.decode()


def test_staff_cannot_push_to_another_companys_controller(client, other_staff_user, gate):
    controller = GateControllerFactory(gate=gate, endpoint=DEAD)
    client.force_login(other_staff_user)
    client.post(
        reverse("admin:communities_gatecontroller_changelist"),
        {"action": "full_resync", "_selected_action": [controller.pk]},
    )
    assert not ControllerSync.objects.filter(controller=controller, failures__gt=0).exists()


def test_sync_gates_prints_the_health_and_fails_loudly_when_unreachable(gate):
    controller = GateControllerFactory(gate=gate, endpoint=DEAD, name="North lane")
    out = StringIO()
    call_command("sync_gates", "--status", stdout=out)
    assert "North lane" in out.getvalue()
    with pytest.raises(CommandError, match="could not be reached"):
        call_command("sync_gates", "--controller", str(controller.pk), stdout=out, stderr=out)
    with pytest.raises(CommandError, match="No community"):
        call_command("sync_gates", "--community", "nowhere")


def test_staff_sync_a_controller_from_the_dashboard(client, staff_user, community, gate):
    controller = GateControllerFactory(gate=gate, endpoint=DEAD, name="West lane")
    client.force_login(staff_user)
    page = client.get(reverse("dashboard:community", args=[community.slug]))
    sync_url = reverse("dashboard:controller_sync", args=[community.slug, controller.pk])
    assert sync_url in page.content.decode()
    answer = client.post(sync_url, {"full": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 302
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.failures == 1 and sync.offline_since is not None  # tried at once (eager)
    assert client.get(sync_url).status_code == 405


def test_another_companys_staff_cannot_sync_from_the_dashboard(
    client, other_staff_user, community, gate
):
    controller = GateControllerFactory(gate=gate, endpoint=DEAD)
    client.force_login(other_staff_user)
    sync_url = reverse("dashboard:controller_sync", args=[community.slug, controller.pk])
    assert client.post(sync_url, {"full": "1"}).status_code == 404
    assert not ControllerSync.objects.filter(controller=controller, failures__gt=0).exists()


def test_a_new_controller_shows_its_id_and_secret_once_with_a_provisioning_code(
    client, staff_user, gate, settings
):
    from communities.models import GateController

    client.force_login(staff_user)
    url = reverse("admin:communities_gatecontroller_add")
    page = client.post(
        url,
        {
            "gate": gate.pk,
            "name": "Lane 9",
            "driver": "http_json",
            "protocol": 2,
            "endpoint": DEAD,
            "secret": "",
            "enabled": "",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200, page.content[:500]
    controller = GateController.objects.get(name="Lane 9")
    assert len(controller.secret) >= 40  # generated
    text = page.content.decode()
    assert controller.secret in text and f"<code>{controller.pk}</code>" in text
    assert settings.PORTAL_BASE_URL in text and "<svg" in text
    assert "no-store" in page["Cache-Control"]
    # The change form never shows it again, and saving it with the field empty keeps it.
    change = reverse("admin:communities_gatecontroller_change", args=[controller.pk])
    assert controller.secret not in client.get(change).content.decode()
    client.post(
        change,
        {
            "gate": gate.pk,
            "name": "Lane 9",
            "driver": "http_json",
            "protocol": 2,
            "endpoint": DEAD,
            "secret": "",
        },
    )
    controller.refresh_from_db()
    assert len(controller.secret) >= 40
