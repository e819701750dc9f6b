"""Demo data for coordination, called by `manage.py seed_demo` after communities, riders
and governance (safe to run again).

- Every demo community with a gate open to riders gets a month of gate scans, reported
  through the gate protocol's ingestion service (`riders.services.gate_events.events_ingest`)
  with fixed event ids, so a second run adds nothing. Each scan carries how long its
  gate took to decide (`decision_ms`: a community's own speed, a long tail of slow ones);
  scans seeded before decision times existed get theirs filled in.
- A street office for 上海市 浦东新区 (Willow Garden's district), with a member who sees
  the district's ranking (`/coordination/office/`).
- Willow Garden gets a held meeting with published minutes and decisions, the next
  meeting, and two opinion polls (owners, riders); the owners' poll is attached to the
  food-cabinet resolution when governance's demo created it.
- Every community's index is then computed from what was seeded (events, facilities,
  units, feedback, controllers) and stored as today's snapshot.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from communities.models import Community, DeliveryRules, EntryPolicy, Gate, GateController
from coordination import services
from coordination.models import ActionStatus, Meeting, Poll, PollAudience, Side, StreetOffice
from governance.models import Resolution
from riders.models import AccessEvent
from riders.services.gate_events import events_ingest

SLUG = "willow-garden"
_NAMESPACE = uuid.UUID("6f2c1f0e-2c55-4c59-9a57-3b1f1d2b0c01")
# (entry scans per day, denied ones by reason) — a plausible month at a busy gate.
DAYS = 28
OPEN_PER_DAY = 6
DENIED = {"expired": 5, "outside_hours": 3, "pending": 2, "gate_closed_to_riders": 1}
# How fast each community's gates decide (typical ms, and the spread of a long tail):
# offline controllers answer in a blink; a gate that asks the portal online is slower.
DECISION_SPEED = {"willow-garden": (90, 400), "maple-court": (450, 2600), "blue-bay": (180, 900)}
DECISION_SPEED_DEFAULT = (200, 1000)
OFFICE = {"name": "浦东新区街道办 Pudong street office", "city": "上海市", "district": "浦东新区"}
OFFICE_USER = ("pudong.office", "last100-office")


def _decision_ms(community: Community, event_id: str) -> int:
    """A plausible, repeatable decision time for one demo scan: the community's typical
    time plus a long tail (the cube of a uniform draw taken from the event id)."""
    base, spread = DECISION_SPEED.get(community.slug, DECISION_SPEED_DEFAULT)
    draw = int(uuid.UUID(event_id).hex[:8], 16) / 0xFFFFFFFF
    return round(base + spread * draw**3)


def _scans_ensure(community: Community, rules_policy: str) -> int:
    """A month of scans at the community's first gate open to riders (none where riders
    may not enter). Returns how many were new."""
    if rules_policy == EntryPolicy.NO_ENTRY:
        return 0
    gate = Gate.objects.filter(community=community, open_to_riders=True).order_by("pk").first()
    if gate is None:
        return 0
    now = timezone.now()
    events: list[dict[str, Any]] = []
    n = 0

    def add(decision: str, reason: str, at: dt.datetime) -> None:
        nonlocal n
        n += 1
        event_id = str(uuid.uuid5(_NAMESPACE, f"{community.slug}:{n}"))
        events.append(
            {
                "event_id": event_id,
                "gate": gate.pk,
                "direction": "in",
                "decision": decision,
                "reason": reason,
                "occurred_at": at.isoformat(),
                "decision_ms": _decision_ms(community, event_id),
            }
        )

    for day in range(DAYS):
        for i in range(OPEN_PER_DAY):
            add("open", "ok", now - dt.timedelta(days=day, hours=2 + i * 2))
    day = 0
    for reason, count in DENIED.items():
        for _ in range(count):
            day += 1
            add("deny", reason, now - dt.timedelta(days=day % DAYS, hours=1))
    # The ingestion service only needs the controller's gate: an unsaved one stands in
    # for the demo (no secret, never stored, never reachable over the gate protocol).
    reporter = GateController(gate=gate)
    added = events_ingest(controller=reporter, events=events).accepted
    _decision_times_fill(events)
    return added


def _decision_times_fill(events: list[dict[str, Any]]) -> None:
    """Demo scans stored before decision times existed get the demo's times."""
    wanted = {uuid.UUID(e["event_id"]): e["decision_ms"] for e in events}
    stale = list(AccessEvent.objects.filter(event_id__in=wanted, decision_ms__isnull=True))
    for event in stale:
        event.decision_ms = wanted[event.event_id]
    AccessEvent.objects.bulk_update(stale, ["decision_ms"], batch_size=500)


def _street_office_ensure() -> str:
    """The demo's street office and its member (who has no company: no staff pages)."""
    office, _created = StreetOffice.objects.get_or_create(
        city=OFFICE["city"], district=OFFICE["district"], defaults={"name": OFFICE["name"]}
    )
    username, password = OFFICE_USER
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        # A staff account (is_staff) of no company: it logs in at /admin/login/, as guards
        # do, and has no model there.
        user = get_user_model().objects.create_user(username, password=password, is_staff=True)
    elif not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    office.members.add(user)
    return f"{username} / {password}"


def _meetings_ensure(community: Community) -> None:
    if Meeting.objects.filter(community=community).exists():
        return
    now = timezone.now()
    held = services.meeting_schedule(
        community=community,
        title="月度协调会 Monthly coordination",
        scheduled_at=now - dt.timedelta(days=12),
        place="物业办公室 Property office",
        acting_user=None,
    )
    for side, name, role in (
        (Side.STAFF, "张伟 Zhang Wei", "物业经理 Property manager"),
        (Side.OWNERS, "王芳 Wang Fang", "业委会 Owners' committee"),
        (Side.RIDERS, "刘洋 Liu Yang", "站长 Xuhui station manager"),
        (Side.OFFICE, "枫林路街道 Fenglin Road street office", "社区专员 Community officer"),
    ):
        services.participant_add(meeting=held, side=side, name=name, role=role, acting_user=None)
    services.meeting_update(
        meeting=held,
        agenda=held.agenda,
        minutes=(
            "骑手反映东门晚间常被拒（超出时段）。同意延长东门骑手时段并增设电动车停放区。\n"
            "Riders reported being refused at the east gate in the evening (outside hours). "
            "Agreed: extend the east gate's rider hours and add an e-bike parking bay."
        ),
        acting_user=None,
    )
    services.meeting_minutes_publish(meeting=held, acting_user=None)
    today = timezone.localdate()
    items = [
        (
            "在东门旁划设电动车停放区 Mark an e-bike bay by the east gate",
            "张伟 Zhang Wei",
            Side.STAFF,
            10,
        ),
        ("楼栋门牌补漆 Repaint house numbers on buildings 3–7", "张伟 Zhang Wei", Side.STAFF, -3),
        ("向骑手推送新时段 Tell riders the new hours", "刘洋 Liu Yang", Side.RIDERS, -8),
    ]
    created = [
        services.action_item_create(
            meeting=held,
            title=title,
            owner_name=owner,
            owner_side=side,
            due_on=today + dt.timedelta(days=days),
            acting_user=None,
        )
        for title, owner, side, days in items
    ]
    services.action_item_set_status(
        item=created[1],
        status=ActionStatus.IN_PROGRESS,
        note="3、5 栋已完成 3 and 5 done",
        acting_user=None,
    )
    services.action_item_set_status(item=created[2], status=ActionStatus.DONE, acting_user=None)
    services.meeting_schedule(
        community=community,
        title="月度协调会 Monthly coordination",
        scheduled_at=now + dt.timedelta(days=18),
        place="物业办公室 Property office",
        acting_user=None,
    )


def _polls_ensure(community: Community) -> None:
    if Poll.objects.filter(community=community).exists():
        return
    now = timezone.now()
    owners_poll = services.poll_create(
        community=community,
        audience=PollAudience.OWNERS,
        question="东门设保温取餐柜？ A heated food cabinet at the east gate?",
        proposal="平台出资，骑手不必进小区。 Paid by the platforms; riders need not enter.",
        opens_at=now - dt.timedelta(days=20),
        closes_at=now + dt.timedelta(days=5),
        acting_user=None,
    )
    cabinet = Resolution.objects.filter(community=community, effect__type="facility").first()
    if cabinet is not None:
        services.poll_attach_resolution(poll=owners_poll, resolution=cabinet, acting_user=None)
    services.poll_create(
        community=community,
        audience=PollAudience.RIDERS,
        question="休息站加装微波炉？ A microwave at the rest station?",
        closes_at=now + dt.timedelta(days=14),
        acting_user=None,
    )


def seed(stdout: Any = None) -> list[str]:
    scans = 0
    for community in Community.objects.order_by("slug"):
        rules = DeliveryRules.objects.current_of(community)
        policy = rules.entry_policy if rules else EntryPolicy.REGISTERED
        scans += _scans_ensure(community, policy)
    community = Community.objects.filter(slug=SLUG).first()
    if community is not None:
        with transaction.atomic():
            _meetings_ensure(community)
            _polls_ensure(community)
    lines = [f"Coordination ({scans} demo gate scans added):"]
    base = settings.PORTAL_BASE_URL
    for c in Community.objects.order_by("slug"):
        snapshot = services.friendliness_snapshot_take(community=c)
        score = "—" if snapshot.score is None else snapshot.score
        url = base + reverse("coordination:friendliness", args=[c.slug])
        lines.append(f"  {c.slug:<14} rider-friendliness {score}/100  {url}")
    if community is not None:
        lines.append(f"  What we agreed: {base}{reverse('coordination:agreed', args=[SLUG])}")
    lines.append(f"  Staff: {base}{reverse('coordination:staff_index')}")
    login = _street_office_ensure()
    lines.append(
        f"  Street office ({OFFICE['city']} {OFFICE['district']}, {login}): "
        f"{base}{reverse('coordination:office_index')}"
    )
    return lines
