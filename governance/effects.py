"""What a passed resolution does: check an effect before opening, describe it in plain
words for owners, and apply it when the resolution passes.

Effects (JSON on `Resolution.effect`):

* ``{"type": "none"}`` (or empty): the resolution only records the owners' decision.
* ``{"type": "entry_policy", "policy": "open|registered|no_entry", "handoff_point": "..."}``
  publishes a new version of the community's delivery rules. ``no_entry`` always
  becomes ``passed_pending`` first: staff confirm the hand-off point for this decision
  (`resolution_handoff_set`, pre-filled by `handoff_suggestion`), which publishes it. With
  ``no_entry`` in force, riders' active grants are suspended (reason "resolution #N").
* ``{"type": "facility", "kind": K, "name": "...", "x_pct": 40, "y_pct": 60}`` (and an
  optional English ``name_en``; ``handoff_point_en`` likewise) where K
  is ``food_cabinet``, ``parcel_locker`` or ``robot_pickup`` (a DeliveryFacility with
  status planned), ``parking_zone`` or ``rest_station`` (these have no status field: they
  are created with "planned" in their notes).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import gettext_noop

from communities.models import (
    Community,
    DeliveryFacility,
    DeliveryRules,
    EntryPolicy,
    ParkingZone,
    RestStation,
)
from communities.services import rules_publish
from core.i18n_text import generated_text_register, localized
from riders.models import GrantStatus
from riders.services.grants import grant_reinstate, grants_suspend_active

from .models import GrantSuspension, Matter, Resolution, ResolutionState, RulesDecision

FACILITY_KINDS = {
    "food_cabinet": DeliveryFacility.Kind.FOOD_CABINET,
    "parcel_locker": DeliveryFacility.Kind.PARCEL_LOCKER,
    "robot_pickup": DeliveryFacility.Kind.ROBOT_PICKUP,
    "parking_zone": None,
    "rest_station": None,
}


def _kind_label(kind: str) -> str:
    labels = {
        "food_cabinet": _("a food cabinet"),
        "parcel_locker": _("a parcel locker"),
        "robot_pickup": _("a delivery robot pick-up point"),
        "parking_zone": _("a rider parking zone"),
        "rest_station": _("a rider rest station"),
    }
    return labels.get(kind, kind)


# Civil Code Art. 278, para. 1, the items a resolution's effect falls under. Items 6-8
# (raising maintenance funds; rebuilding; changing the use of common parts or using them
# for business) are major matters (3/4); the others, using maintenance funds (item 5)
# included, need more than half.
LEGAL_ITEMS = {
    2: _lazy("item 2: making or amending the owners' convention"),
    8: _lazy("item 8: changing the use of common parts or using them for business"),
}


def matter_of_effect(effect: dict[str, Any] | None) -> tuple[str, int | None]:
    """The matter the law makes of `effect`, and its Art. 278 item (None: the effect
    names none; the resolution only records a decision). A facility on common parts
    (rest station, parking, food cabinet, locker, robot point) changes their use: item
    8 at least, major. An entry policy amends the owners' convention: item 2, ordinary."""
    kind = effect_type(effect)
    if kind == "facility":
        return Matter.MAJOR, 8
    if kind == "entry_policy":
        return Matter.ORDINARY, 2
    return Matter.ORDINARY, None


def matter_problems(effect: dict[str, Any] | None, matter: str, reason: str) -> list[str]:
    """Why `matter` cannot be the resolution's matter: the law's matter may be raised to
    major with a reason, never lowered."""
    required, item = matter_of_effect(effect)
    if matter == Matter.ORDINARY and required == Matter.MAJOR:
        return [
            _(
                "Under Civil Code Art. 278 %(item)s this is a major matter (three quarters); "
                "it cannot be put as an ordinary one."
            )
            % {"item": LEGAL_ITEMS[item]}
        ]
    if matter == Matter.MAJOR and required == Matter.ORDINARY and not reason.strip():
        return [_("Say why this is a major matter: the law makes it an ordinary one.")]
    return []


def matter_basis(resolution: Resolution) -> str:
    """The legal basis of the resolution's matter, in words for owners and staff."""
    required, item = matter_of_effect(resolution.effect)
    if item is not None:
        basis = _("Civil Code Art. 278, %(item)s.") % {"item": LEGAL_ITEMS[item]}
    else:
        basis = _("Civil Code Art. 278: other matters of the owners' common affairs.")
    if resolution.matter == Matter.MAJOR and required == Matter.ORDINARY:
        basis += " " + _("Raised to a major matter by the property company: %(reason)s") % {
            "reason": resolution.matter_reason
        }
    return basis


def effect_type(effect: dict[str, Any] | None) -> str:
    return (effect or {}).get("type") or "none"


def _pct(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return number if Decimal(0) <= number <= Decimal(100) else None


def effect_problems(effect: dict[str, Any] | None, community: Community) -> list[str]:
    """Why `effect` could not be applied (empty list: it can). `no_entry` without any
    hand-off point is allowed: it passes as pending, and staff are told."""
    if effect is not None and not isinstance(effect, dict):
        return [_("The effect must be a JSON object.")]
    kind = effect_type(effect)
    if kind == "none":
        return []
    if kind == "entry_policy":
        if effect.get("policy") not in EntryPolicy.values:
            return [_("The entry policy must be one of: open, registered, no_entry.")]
        if len(str(effect.get("handoff_point") or "")) > 300:
            return [_("The hand-off point is longer than 300 characters.")]
        return []
    if kind == "facility":
        problems = []
        if effect.get("kind") not in FACILITY_KINDS:
            problems.append(
                _(
                    "The facility kind must be one of: food_cabinet, parcel_locker, "
                    "robot_pickup, parking_zone, rest_station."
                )
            )
        name = str(effect.get("name") or "").strip()
        if not name or len(name) > 100:
            problems.append(_("Give the facility a name of at most 100 characters."))
        for axis in ("x_pct", "y_pct"):
            if effect.get(axis) not in (None, "") and _pct(effect.get(axis)) is None:
                problems.append(_("Map positions are percentages from 0 to 100."))
                break
        if (effect.get("x_pct") in (None, "")) != (effect.get("y_pct") in (None, "")):
            problems.append(_("Give both map coordinates of the facility, or neither."))
        return problems
    return [_("Unknown kind of effect: %(type)s.") % {"type": kind}]


def effect_describe(effect: dict[str, Any] | None) -> str:
    """The effect in plain words, for owners."""
    kind = effect_type(effect)
    if kind == "entry_policy":
        policy = effect.get("policy")
        if policy == EntryPolicy.NO_ENTRY:
            point = localized(effect, "handoff_point").text
            if point:
                return _(
                    "If passed, delivery riders may no longer enter; they hand food over at: "
                    "%(point)s."
                ) % {"point": point}
            return _(
                "If passed, delivery riders may no longer enter; the property company will "
                "publish where they hand food over."
            )
        if policy == EntryPolicy.OPEN:
            return _("If passed, delivery riders may walk or ride in freely.")
        return _("If passed, delivery riders may enter after registering with the portal.")
    if kind == "facility":
        return _("If passed, the property company plans %(what)s named “%(name)s”.") % {
            "what": _kind_label(str(effect.get("kind"))),
            "name": localized(effect, "name").text,
        }
    return _("This resolution records the owners' decision; it changes nothing by itself.")


def effect_apply(*, resolution: Resolution, acting_user: AbstractBaseUser | None) -> str:
    """Apply a passed resolution's effect inside the caller's transaction. Returns the
    state the resolution ends in: passed, or passed_pending (hand-off point needed)."""
    effect = resolution.effect or {}
    kind = effect_type(effect)
    if kind == "entry_policy":
        policy = effect["policy"]
        if policy == EntryPolicy.NO_ENTRY:
            # The property company publishes the hand-off rules for *this* decision: staff
            # confirm the point (pre-filled, `handoff_suggestion`) before riders are kept
            # out, even when the effect or an earlier version names one.
            return ResolutionState.PASSED_PENDING
        rules_apply(resolution=resolution, acting_user=acting_user, entry_policy=policy)
    elif kind == "facility":
        facility_plan(resolution=resolution, effect=effect)
    return ResolutionState.PASSED


def handoff_suggestion(resolution: Resolution) -> str:
    """What the hand-off confirmation form starts with: the point the owners voted on,
    else the last no-entry version's (staff confirm or change it)."""
    point = str((resolution.effect or {}).get("handoff_point") or "").strip()
    if point:
        return point
    last = (
        resolution.community.rules_versions.filter(entry_policy=EntryPolicy.NO_ENTRY)
        .order_by("-version")
        .values_list("handoff_point", flat=True)
        .first()
    )
    return last or ""


def rules_apply(
    *, resolution: Resolution, acting_user: AbstractBaseUser | None, **fields: Any
) -> DeliveryRules:
    """Publish rules set by `resolution`, remember which resolution set them, and (for
    no_entry) suspend riders' active grants through riders' grant service."""
    rules = rules_publish(community=resolution.community, acting_user=acting_user, **fields)
    RulesDecision.objects.create(rules=rules, resolution=resolution)
    if rules.entry_policy == EntryPolicy.NO_ENTRY:
        _grants_suspend(resolution=resolution, acting_user=acting_user)
    else:
        grants_reinstate_lifted(resolution=resolution, acting_user=acting_user)
    return rules


#: The reasons an owners' resolution writes on riders' grants: stored as these codes and
#: the resolution's number, shown in the reader's language (the pass page, staff pages).
REASON_SUSPENDED = "governance.suspended"
REASON_REINSTATED = "governance.reinstated"
generated_text_register(REASON_SUSPENDED, gettext_noop("resolution #%(number)s"))
generated_text_register(REASON_REINSTATED, gettext_noop("reinstated by resolution #%(number)s"))


def _grants_suspend(*, resolution: Resolution, acting_user: AbstractBaseUser | None) -> int:
    reason = _("resolution #%(number)s") % {"number": resolution.number}
    suspended = grants_suspend_active(
        community_id=resolution.community_id,
        reason=reason,
        acting_user=acting_user,
        reason_code=REASON_SUSPENDED,
        reason_params={"number": resolution.number},
    )
    GrantSuspension.objects.bulk_create(
        GrantSuspension(resolution=resolution, grant=grant, reason=reason) for grant in suspended
    )
    return len(suspended)


def grants_reinstate_lifted(*, resolution: Resolution, acting_user: AbstractBaseUser | None) -> int:
    """`resolution` lets riders in again: reinstate, through riders' grant service (so the
    gates' change log gets each one), the grants earlier resolutions suspended and that are
    still suspended for that reason. Grants staff suspended or revoked for their own
    reasons stay as they are. Returns how many came back."""
    reason = _("reinstated by resolution #%(number)s") % {"number": resolution.number}
    pending = (
        GrantSuspension.objects.filter(
            resolution__community_id=resolution.community_id, lifted_by__isnull=True
        )
        .select_related("grant__rider")
        .order_by("id")
    )
    count = 0
    for suspension in pending:
        grant = suspension.grant
        still_ours = grant.status == GrantStatus.SUSPENDED and grant.reason == suspension.reason
        if still_ours and grant.rider.platform_active:
            grant_reinstate(
                grant=grant,
                acting_user=acting_user,
                reason=reason,
                reason_code=REASON_REINSTATED,
                reason_params={"number": resolution.number},
            )
            suspension.reinstated = True
            count += 1
        suspension.lifted_by = resolution
        suspension.save(update_fields=["lifted_by", "reinstated"])
    return count


#: The note on a facility an owners' resolution planned: stored as this code and the
#: resolution's number, translated when shown (core.i18n_text).
NOTE_PLANNED = "governance.planned"
generated_text_register(
    NOTE_PLANNED, gettext_noop("Planned: approved by owners' resolution #%(number)s.")
)


def facility_plan(*, resolution: Resolution, effect: dict[str, Any]) -> Any:
    """Create the approved facility as planned."""
    community = resolution.community
    kind = effect["kind"]
    name = str(effect["name"]).strip()[:100]
    names = {"name": name, "name_en": str(effect.get("name_en") or "").strip()[:100]}
    position = {"x_pct": _pct(effect.get("x_pct")), "y_pct": _pct(effect.get("y_pct"))}
    note = {"notes_code": NOTE_PLANNED, "notes_params": {"number": resolution.number}}
    facility_kind = FACILITY_KINDS[kind]
    if facility_kind is not None:
        obj = DeliveryFacility(
            community=community,
            kind=facility_kind,
            **names,
            status=DeliveryFacility.Status.PLANNED,
            **note,
            **position,
        )
    elif kind == "parking_zone":
        obj = ParkingZone(community=community, **names, **note, **position)
    else:
        obj = RestStation(community=community, **names, **note, **position)
    obj.full_clean()
    obj.save()
    return obj
