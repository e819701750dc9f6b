"""The people of the security tests, one logged-in client per role, over one small world.

Roles (docs/security-matrix.md):

- ``anonymous``: nobody.
- ``rider``: a browser holding the device cookie of a rider with an active grant here.
- ``owner_here`` / ``owner_there``: an owner of a unit in this community / in a community
  of another company (governance Owner with a log-in).
- ``guard``: a staff user holding only the guard permission on this community.
- ``staff_here`` / ``staff_there``: staff of this community's company / of another company.
- ``street_office``: a member of the street office of this community's district (上海市
  静安区; the other company's community lies in 徐汇区), staff of no company.
- ``platform``: a delivery platform's signed JWS (no session); the rider's platform.
- ``controller``: a gate controller of this community signing with HMAC headers.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from communities.tests.factories import (
    CommunityFactory,
    DeliveryFacilityFactory,
    GateControllerFactory,
    GateFactory,
    ParkingZoneFactory,
    RestStationFactory,
)

ROLES = (
    "anonymous",
    "rider",
    "owner_here",
    "owner_there",
    "guard",
    "staff_here",
    "staff_there",
    "street_office",
    "platform",
    "controller",
)
#: Roles with no Django session: login_required pages send them to a log-in page.
NOT_LOGGED_IN = frozenset({"anonymous", "rider", "platform", "controller"})
#: Roles that may enter the Django admin at all (is_staff).
ADMIN_STAFF = frozenset({"guard", "staff_here", "staff_there", "street_office"})
EVERYONE = frozenset(ROLES)


@dataclass
class World:
    """Objects of this community (``community``) and of another company (``other_*``)."""

    company: Any
    community: Any
    other_company: Any
    other_community: Any
    gate: Any
    other_gate: Any
    controller: Any
    platform: Any
    rider: Any
    grant: Any
    resolution: Any
    closed_resolution: Any
    feedback: Any
    users: dict[str, Any] = field(default_factory=dict)
    owners: dict[str, Any] = field(default_factory=dict)
    device_token: str = ""
    invite_token: str = ""


def deactivation_jws(world: World) -> str:
    """A platform's signed request to deactivate its rider (fresh jti each time)."""
    from riders.tests.factories import sign_assertion

    return sign_assertion(
        world.platform,
        aud=f"{settings.PORTAL_BASE_URL}/api/v1/platform",
        sub=world.rider.platform_rider_id,
        action="deactivate",
        jti=uuid.uuid4().hex,
    )


def platform_read_jws(world: World, url: str) -> str:
    """The platform's signed token for a GET: the read API's audience for the
    coordination API (docs/api.md), the deactivation audience otherwise."""
    from riders.tests.factories import sign_assertion

    if "/delivery-info" in url or "/friendliness/ranking" in url:
        return sign_assertion(
            world.platform, aud=f"{settings.PORTAL_BASE_URL}/api/v1/delivery-info"
        )
    return deactivation_jws(world)


def controller_headers(
    world: World, body: bytes, *, method: str, path: str, query: str = ""
) -> dict[str, str]:
    """The META of a request the world's controller signs (gate protocol v2)."""
    from gatesync.auth import TO_PORTAL, signed_headers_v2

    headers = signed_headers_v2(
        controller_id=world.controller.pk,
        secret=world.controller.secret,
        direction=TO_PORTAL,
        method=method,
        path=path,
        query=query,
        body=body,
    )
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


def world_build(
    *,
    company: Any,
    other_company: Any,
    community: Any,
    rider: Any,
    staff_here: Any,
    staff_there: Any,
    guard: Any,
    owner_here: Any,
) -> World:
    """The world around the root conftest's people (staff of both companies, the guard,
    the owner and the rider): another company's community, gates, a grant, votes..."""
    from coordination.models import StreetOffice
    from dashboard.models import HourlyEventCount
    from governance import services as gov
    from governance.services.feedback import feedback_submit, notice_publish
    from governance.services.invitations import owner_invite
    from governance.tests.factories import (
        owner_with_login,
        resolution_opened,
        units_make,
        votes_cast,
    )
    from riders.models import AccessEvent
    from riders.services.devices import device_issue
    from riders.services.keys import pass_key_current
    from riders.tests.factories import AccessGrantFactory

    cache.clear()  # rate limits and single-use markers of an earlier test
    other_community = CommunityFactory(
        company=other_company, slug="sky-court", name="Sky Court", city="上海市", district="徐汇区"
    )
    community.city, community.district = "上海市", "静安区"
    community.save(update_fields=["city", "district"])
    # Staff of no company: logs in at the admin's log-in page as guards do, and sees nothing
    # there.
    officer = get_user_model().objects.create_user(
        "office.jingan", password="pw-office-123", is_staff=True
    )
    StreetOffice.objects.create(name="静安寺街道", city="上海市", district="静安区").members.add(
        officer
    )
    gate = GateFactory(community=community, name="North gate")
    other_gate = GateFactory(community=other_community, name="Sky gate")
    controller = GateControllerFactory(gate=gate, secret="controller-secret")
    GateControllerFactory(gate=other_gate, secret="other-secret")
    grant = AccessGrantFactory(rider=rider, community=community)
    ParkingZoneFactory(community=community)
    RestStationFactory(community=community)
    DeliveryFacilityFactory(community=community)
    pass_key_current()
    event = AccessEvent.objects.create(
        gate=gate,
        rider=rider,
        grant=grant,
        direction="in",
        decision="open",
        reason="ok",
        source="guard",
    )
    HourlyEventCount.objects.create(
        community=community,
        gate=gate,
        hour=event.occurred_at.replace(minute=0, second=0, microsecond=0),
        direction="in",
        decision="open",
        reason="ok",
        count=1,
    )

    owner_there = owner_with_login("owner.blue")
    for unit in units_make(other_community, 1):
        gov.ownership_add(unit=unit, owner=owner_there, acting_user=None)
    users = {
        "staff_here": staff_here,
        "staff_there": staff_there,
        "guard": guard,
        "owner_here": owner_here.user,
        "owner_there": owner_there.user,
        "street_office": officer,
    }

    resolution = resolution_opened(community)
    votes_cast(resolution, [owner_here], "for")
    closed = resolution_opened(community, title="Food cabinet at the north gate")
    closed.closes_at = timezone.now()
    closed.save(update_fields=["closes_at"])
    closed = gov.resolution_close(resolution=closed, acting_user=None)
    feedback = feedback_submit(
        community=community, category="other", text="The gate is slow.", acting_user=None
    )
    notice_publish(community=community, title="Water off", body="Tuesday", acting_user=None)
    link = owner_invite(owner=owner_here, acting_user=None)
    return World(
        company=company,
        community=community,
        other_company=other_company,
        other_community=other_community,
        gate=gate,
        other_gate=other_gate,
        controller=controller,
        platform=rider.platform,
        rider=rider,
        grant=grant,
        resolution=resolution,
        closed_resolution=closed,
        feedback=feedback,
        users=users,
        owners={"owner_here": owner_here, "owner_there": owner_there},
        device_token=device_issue(rider=rider),
        invite_token=link.rstrip("/").rsplit("/", 1)[-1],
    )


@pytest.fixture
def world(company, other_company, community, rider, staff_user, other_staff_user, guard, owner):
    return world_build(
        company=company,
        other_company=other_company,
        community=community,
        rider=rider,
        staff_here=staff_user,
        staff_there=other_staff_user,
        guard=guard,
        owner_here=owner,
    )


class RoleClient:
    """Sends a request as one role: session, device cookie, JWS body or HMAC headers."""

    def __init__(self, role: str, world: World):
        self.role, self.world = role, world
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if role in world.users:
            self.client.force_login(world.users[role])
        if role == "rider":
            self.client.cookies[settings.RIDERS_DEVICE_COOKIE] = world.device_token

    def request(self, method: str, url: str, data: Any = None, content_type: str | None = None):
        extra: dict[str, str] = {}
        body: bytes | str | dict | None = data
        if self.role == "platform" and method != "get" and data is None:
            body, content_type = deactivation_jws(self.world), "application/jose"
        if content_type == "application/json" and isinstance(body, dict):
            body = json.dumps(body)
        if self.role == "controller":
            if method == "get":
                raw = b""
            else:
                if content_type is None:
                    content_type = "application/json"
                    body = json.dumps(data if data is not None else {})
                raw = body.encode() if isinstance(body, str) else (body or b"")
            path, _sep, query = url.partition("?")
            if method == "get" and data:
                query = "&".join(filter(None, [query, urlencode(data, doseq=True)]))
            extra.update(
                controller_headers(self.world, raw, method=method.upper(), path=path, query=query)
            )
        if self.role == "platform" and method == "get":
            extra["HTTP_AUTHORIZATION"] = f"Bearer {platform_read_jws(self.world, url)}"
        call = getattr(self.client, method)
        if method == "get":
            return call(url, data or {}, **extra)
        if content_type is None:
            return call(url, data or {}, **extra)
        return call(url, body, content_type=content_type, **extra)


@pytest.fixture
def role_client(world):
    return lambda role: RoleClient(role, world)
