"""Resolutions: create, open (freezing the roll), close (count, store the figures, apply
the effect), and the hand-off point a passed no-entry resolution may still need."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, EntryPolicy, Unit
from communities.signals import community_touch
from core.audit import audit_record
from core.users import ActingUser as User

from ..effects import (
    effect_apply,
    effect_problems,
    effect_type,
    matter_of_effect,
    matter_problems,
    rules_apply,
)
from ..locks import resolution_lock_exclusive
from ..models import (
    Matter,
    Ownership,
    Resolution,
    ResolutionEvent,
    ResolutionState,
    RollEntry,
    RollMember,
)
from ..notify import staff_tell_handoff_needed
from ..tally import tally

DEVELOPER_KEY = "developer"


def _actor(acting_user: User) -> AbstractBaseUser | None:
    if acting_user is not None and acting_user.is_authenticated:
        return acting_user
    return None


def _event(resolution: Resolution, from_state: str, acting_user: User, note: str = "") -> None:
    ResolutionEvent.objects.create(
        resolution=resolution,
        from_state=from_state,
        to_state=resolution.state,
        actor=_actor(acting_user),
        note=note[:300],
    )


@transaction.atomic
def resolution_create(
    *,
    community: Community,
    title: str,
    text: str,
    matter: str | None = None,
    matter_reason: str = "",
    effect: dict[str, Any] | None = None,
    allow_vote_change: bool = True,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    acting_user: User,
) -> Resolution:
    """A draft resolution with the community's next number. `matter` None: the one the
    effect requires (Art. 278); staff may raise it to major with `matter_reason`."""
    if matter is None:
        matter = matter_of_effect(effect)[0]
    if matter not in Matter.values:
        raise ValidationError({"matter": _("Choose an ordinary or a major matter.")})
    problems = effect_problems(effect, community)
    if problems:
        raise ValidationError({"effect": problems})
    matter_reason = (matter_reason or "").strip() if matter == Matter.MAJOR else ""
    problems = matter_problems(effect, matter, matter_reason)
    if problems:
        raise ValidationError({"matter": problems})
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError({"closes_at": _("Voting must close after it opens.")})
    Community.objects.select_for_update().filter(pk=community.pk).first()
    top = Resolution.objects.filter(community=community).aggregate(top=Max("number"))["top"]
    resolution = Resolution(
        community=community,
        number=(top or 0) + 1,
        title=title.strip(),
        text=text.strip(),
        matter=matter,
        matter_reason=matter_reason[:300],
        effect=effect or {"type": "none"},
        allow_vote_change=allow_vote_change,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=_actor(acting_user),
    )
    resolution.full_clean()
    resolution.save()
    _event(resolution, "", acting_user, "created")
    audit_record(
        action="resolution_create",
        obj=resolution,
        acting_user=acting_user,
        community_id=community.pk,
        after={"number": resolution.number, "title": resolution.title, "matter": matter},
    )
    return resolution


def _roll_has_area(community: Community) -> bool:
    return Unit.objects.filter(building__community=community, exclusive_area__gt=0).exists()


def resolution_open_blockers(
    resolution: Resolution, *, now: dt.datetime | None = None
) -> list[str]:
    """Reasons `resolution` cannot open yet, in words staff can act on (empty: it can)."""
    now = now or timezone.now()
    blockers = []
    if resolution.state != ResolutionState.DRAFT:
        blockers.append(
            _("Only a draft can be opened; this one is %(state)s.")
            % {"state": resolution.get_state_display()}
        )
    if not resolution.title.strip():
        blockers.append(_("The resolution has no title."))
    if not resolution.text.strip():
        blockers.append(_("The resolution has no text for the owners to read."))
    if resolution.opens_at is None or resolution.closes_at is None:
        blockers.append(_("Set the voting window: when voting opens and when it closes."))
    elif resolution.closes_at <= resolution.opens_at:
        blockers.append(_("Voting must close after it opens."))
    elif resolution.closes_at <= now:
        blockers.append(_("The voting window has already ended; set a later closing time."))
    blockers.extend(effect_problems(resolution.effect, resolution.community))
    # The effect may have been edited since (admin): the law's matter still decides.
    blockers.extend(matter_problems(resolution.effect, resolution.matter, resolution.matter_reason))
    if not _roll_has_area(resolution.community):
        blockers.append(
            _("The community has no units with an area: import the owners' roll first.")
        )
    return blockers


def roll_freeze(resolution: Resolution) -> int:
    """Write the roll of voters for `resolution` (see tally.py for who a voter is).
    Two reads and two bulk inserts, whatever the size. Returns the number of voters."""
    community_id = resolution.community_id
    units = list(
        Unit.objects.filter(building__community_id=community_id)
        .order_by("building__number", "entrance", "number")
        .values_list("id", "building__number", "entrance", "number", "exclusive_area")
    )
    holders: dict[int, set[int]] = defaultdict(set)
    developer_units: set[int] = set()
    developer_owners: set[int] = set()
    for unit_id, owner_id, developer_held in Ownership.objects.filter(
        unit__building__community_id=community_id
    ).values_list("unit_id", "owner_id", "developer_held"):
        if developer_held:
            developer_units.add(unit_id)
            developer_owners.add(owner_id)
        else:
            holders[unit_id].add(owner_id)

    groups: dict[str, dict[str, Any]] = {}
    for unit_id, building, entrance, number, area in units:
        # The developer is one person whatever the flags: a unit it holds alone (flagged
        # unsold or not) joins its one `developer` voter instead of making a second head.
        if unit_id in developer_units or (
            holders.get(unit_id) and holders[unit_id] <= developer_owners
        ):
            key, members = DEVELOPER_KEY, developer_owners
        elif holders.get(unit_id):
            members = holders[unit_id]
            key = "owners:" + ",".join(str(o) for o in sorted(members))
        else:
            key, members = f"unit:{unit_id}", set()
        group = groups.setdefault(key, {"units": [], "labels": [], "area": 0, "members": members})
        group["units"].append(unit_id)
        group["labels"].append("-".join(p for p in (building, entrance, number) if p))
        group["area"] += int(area * 100)

    entries = [
        RollEntry(
            resolution=resolution,
            voter_key=key,
            unit_ids=g["units"],
            unit_labels=", ".join(g["labels"]),
            area_hundredths=g["area"],
            developer=key == DEVELOPER_KEY,
        )
        for key, g in groups.items()
    ]
    RollEntry.objects.bulk_create(entries, batch_size=2000)
    if any(e.pk is None for e in entries):  # backends that do not return ids
        ids = dict(RollEntry.objects.filter(resolution=resolution).values_list("voter_key", "id"))
        for entry in entries:
            entry.pk = entry.id = ids[entry.voter_key]
    RollMember.objects.bulk_create(
        [
            RollMember(entry_id=entry.pk, owner_id=owner_id)
            for entry in entries
            for owner_id in sorted(groups[entry.voter_key]["members"])
        ],
        batch_size=5000,
    )
    return len(entries)


@transaction.atomic
def resolution_open(*, resolution: Resolution, acting_user: User) -> Resolution:
    """Draft → open: freeze the roll. Ballots are accepted from `opens_at` to `closes_at`."""
    resolution = Resolution.objects.select_for_update().get(pk=resolution.pk)
    blockers = resolution_open_blockers(resolution)
    if blockers:
        raise ValidationError(blockers)
    voters = roll_freeze(resolution)
    resolution.state = ResolutionState.OPEN
    resolution.save(update_fields=["state"])
    _event(resolution, ResolutionState.DRAFT, acting_user, f"roll of {voters} voters frozen")
    audit_record(
        action="resolution_open",
        obj=resolution,
        acting_user=acting_user,
        community_id=resolution.community_id,
        before={"state": ResolutionState.DRAFT},
        after={"state": resolution.state, "voters": voters},
    )
    return resolution


@transaction.atomic
def resolution_close(
    *, resolution: Resolution, acting_user: User, now: dt.datetime | None = None
) -> Resolution:
    """Open → counted: store the figures, then passed (effect applied), passed_pending
    (no-entry without a hand-off point: staff are told) or failed. Staff may close early;
    the beat task closes at `closes_at`. Closing a decided resolution again does nothing."""
    resolution_lock_exclusive(resolution.pk)  # waits for casts in flight
    resolution = (
        Resolution.objects.select_for_update().select_related("community").get(pk=resolution.pk)
    )
    if resolution.state in (
        ResolutionState.PASSED,
        ResolutionState.FAILED,
        ResolutionState.PASSED_PENDING,
    ):
        return resolution
    if resolution.state != ResolutionState.OPEN:
        raise ValidationError(_("Only an open resolution can be closed."))
    now = now or timezone.now()
    resolution.state = ResolutionState.CLOSED
    resolution.closed_at = now
    _event(resolution, ResolutionState.OPEN, acting_user)
    figures = tally(resolution)
    resolution.result = figures.as_json()
    if figures.passed:
        resolution.state = effect_apply(resolution=resolution, acting_user=acting_user)
        if resolution.state == ResolutionState.PASSED_PENDING:
            resolution.staff_message = _(
                "Passed: riders may not enter. Publish the hand-off point where riders hand "
                "food over, so the new rules can take effect."
            )
            transaction.on_commit(partial(staff_tell_handoff_needed, resolution))
            # The rules page announces the decision: its cached copy must be redrawn.
            community_touch(resolution.community_id)
    else:
        resolution.state = ResolutionState.FAILED
    resolution.save(update_fields=["state", "closed_at", "result", "staff_message"])
    _event(resolution, ResolutionState.CLOSED, acting_user)
    audit_record(
        action="resolution_close",
        obj=resolution,
        acting_user=acting_user,
        community_id=resolution.community_id,
        before={"state": ResolutionState.OPEN},
        after={"state": resolution.state, "result": resolution.result},
    )
    return resolution


def resolutions_close_due(*, now: dt.datetime | None = None) -> list[int]:
    """Close every open resolution whose window has ended; returns their ids."""
    now = now or timezone.now()
    ids = list(
        Resolution.objects.filter(state=ResolutionState.OPEN, closes_at__lte=now).values_list(
            "id", flat=True
        )
    )
    for pk in ids:
        resolution_close(resolution=Resolution(pk=pk), acting_user=None, now=now)
    return ids


@transaction.atomic
def resolution_handoff_set(
    *, resolution: Resolution, handoff_point: str, handoff_point_en: str = "", acting_user: User
) -> Resolution:
    """Staff give the hand-off point a passed no-entry resolution needs: the rules are
    published and the resolution becomes passed."""
    resolution = (
        Resolution.objects.select_for_update().select_related("community").get(pk=resolution.pk)
    )
    if resolution.state != ResolutionState.PASSED_PENDING:
        raise ValidationError(_("This resolution is not waiting for a hand-off point."))
    point = (handoff_point or "").strip()
    if not point:
        raise ValidationError({"handoff_point": _("Say where riders hand the food over.")})
    if effect_type(resolution.effect) != "entry_policy":
        raise ValidationError(_("This resolution does not set an entry policy."))
    rules_apply(
        resolution=resolution,
        acting_user=acting_user,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point=point,
        handoff_point_en=(handoff_point_en or "").strip(),
    )
    resolution.state = ResolutionState.PASSED
    resolution.staff_message = ""
    resolution.save(update_fields=["state", "staff_message"])
    _event(resolution, ResolutionState.PASSED_PENDING, acting_user, "hand-off point set")
    audit_record(
        action="resolution_handoff_set",
        obj=resolution,
        acting_user=acting_user,
        community_id=resolution.community_id,
        after={"handoff_point": point},
    )
    return resolution
