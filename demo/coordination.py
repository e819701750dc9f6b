"""Demo data for coordination, called by `manage.py seed_demo` after communities, riders
and governance (safe to run again).

- Every demo community with a gate open to riders gets a month of gate scans, reported
  through the gate protocol's ingestion service (`riders.services.gate_events.events_ingest`)
  with fixed event ids, so a second run adds nothing.
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
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from communities.models import Community, DeliveryRules, EntryPolicy, Gate, GateController
from coordination import services
from coordination.models import ActionStatus, Meeting, Poll, PollAudience, Side
from governance.models import Resolution
from riders.services.gate_events import events_ingest

SLUG = "willow-garden"
_NAMESPACE = uuid.UUID("6f2c1f0e-2c55-4c59-9a57-3b1f1d2b0c01")
# (entry scans per day, denied ones by reason) — a plausible month at a busy gate.
DAYS = 28
OPEN_PER_DAY = 6
DENIED = {"expired": 5, "outside_hours": 3, "pending": 2, "gate_closed_to_riders": 1}


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
        events.append(
            {
                "event_id": str(uuid.uuid5(_NAMESPACE, f"{community.slug}:{n}")),
                "gate": gate.pk,
                "direction": "in",
                "decision": decision,
                "reason": reason,
                "occurred_at": at.isoformat(),
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
    return events_ingest(controller=reporter, events=events).accepted


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
    return lines
