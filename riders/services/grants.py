"""Every change to an AccessGrant goes through this module — nowhere else writes grants.

Each function validates the transition (ValidationError with a message staff can read),
saves it with a conditional UPDATE (so two staff members acting at once cannot both win),
writes an audit row and calls `_grant_changed`, the single place that tells gate sync
(gate_access.grant_changed), which logs the change for the community's controllers in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, EntryPolicy
from communities.services import rules_current
from core.audit import acting_user_or_none, audit_record
from core.users import ActingUser as User

from ..models import GRANT_DEFAULT_VALIDITY, AccessGrant, GrantSource, GrantStatus, Rider
from .gate_access import grant_changed

AUDIT_FIELDS = ("status", "valid_from", "valid_until", "approved_by_id", "reason")


def _grant_changed(grant: AccessGrant, change: str) -> None:
    """Called inside the transaction after every grant change (`change` is the service's
    verb: request, approve, suspend, revoke, set_validity, reinstate): the community's
    access change log gets a row if who may pass has changed, in this transaction."""
    grant_changed(grant, cause=change, new=change == "request")


def _snapshot(grant: AccessGrant) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in AUDIT_FIELDS:
        value = getattr(grant, field)
        out[field] = value.isoformat() if isinstance(value, dt.datetime) else value
    return out


def _change(
    grant: AccessGrant,
    *,
    change: str,
    allowed_from: set[str],
    refusal: str,
    acting_user: User,
    **values: Any,
) -> AccessGrant:
    """Apply `values` if the grant is still in a status of `allowed_from` in the database."""
    if grant.status not in allowed_from:
        raise ValidationError(refusal, code="bad_transition")
    before = _snapshot(grant)
    values["updated_at"] = timezone.now()
    if "reason" in values and "reason_code" not in values:
        values.update(reason_code="", reason_params=None)  # a reason typed, not generated
    with transaction.atomic():
        updated = AccessGrant.objects.filter(pk=grant.pk, status=grant.status).update(**values)
        if not updated:
            raise ValidationError(
                _("Someone else changed this access at the same time. Reload and try again."),
                code="conflict",
            )
        for field, value in values.items():
            setattr(grant, field, value)
        audit_record(
            action=f"grant_{change}",
            obj=grant,
            acting_user=acting_user,
            community_id=grant.community_id,
            before=before,
            after=_snapshot(grant),
        )
        _grant_changed(grant, change)
    return grant


def grant_auto_approvable(*, rider: Rider, community: Community, entry_policy: str) -> bool:
    return bool(
        community.auto_approve_verified_riders
        and rider.verified_by_platform
        and rider.platform_active
        and entry_policy != EntryPolicy.NO_ENTRY
    )


def grant_request(
    *,
    rider: Rider,
    community: Community,
    source: str,
    acting_user: User,
    entry_policy: str | None = None,
    rider_is_new: bool = False,
) -> AccessGrant:
    """The rider asks for access to `community`. New grants are pending, or active at once
    when the community approves platform-verified riders automatically (and riders may
    enter). An existing grant is returned unchanged, whatever its status: a suspended or
    revoked rider cannot lift that by registering again.

    `rider_is_new`: the caller inserted `rider` in this very transaction, so no grant of
    it can exist nor be inserted by anyone else before this commits: neither the look-up
    nor the savepoint guarding against a concurrent duplicate is needed."""
    if source not in GrantSource.values:
        raise ValidationError(_("Unknown source of the request."), code="bad_source")
    if not rider_is_new:
        existing = AccessGrant.objects.filter(rider=rider, community=community).first()
        if existing is not None:
            return existing
    if entry_policy is None:  # callers that already read the rules pass their policy
        rules = rules_current(community)
        entry_policy = rules.entry_policy if rules else EntryPolicy.REGISTERED
    policy = entry_policy
    now = timezone.now()
    grant = AccessGrant(rider=rider, community=community, source=source, valid_from=now)
    if grant_auto_approvable(rider=rider, community=community, entry_policy=policy):
        grant.status = GrantStatus.ACTIVE
        grant.valid_until = now + GRANT_DEFAULT_VALIDITY

    def write() -> None:
        grant.save(force_insert=True)
        audit_record(
            action="grant_request",
            obj=grant,
            acting_user=acting_user,
            community_id=community.pk,
            after=_snapshot(grant) | {"source": source, "rider_id": rider.pk},
        )
        _grant_changed(grant, "request")

    if rider_is_new:
        write()
        return grant
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        # The same rider registered twice at once: the other request won; use its grant.
        return AccessGrant.objects.get(rider=rider, community=community)
    return grant


def grant_approve(
    *, grant: AccessGrant, acting_user: User, valid_until: dt.datetime | None = None
) -> AccessGrant:
    """Pending → active, from now until `valid_until` (default: twelve months)."""
    if not grant.rider.platform_active:
        raise ValidationError(
            _("The rider's platform has deactivated this rider; access cannot be approved."),
            code="platform_inactive",
        )
    now = timezone.now()
    valid_until = valid_until or now + GRANT_DEFAULT_VALIDITY
    if valid_until <= now:
        raise ValidationError(_("The end of validity must be in the future."), code="past")
    return _change(
        grant,
        change="approve",
        allowed_from={GrantStatus.PENDING},
        refusal=_("Only access waiting for approval can be approved."),
        acting_user=acting_user,
        status=GrantStatus.ACTIVE,
        valid_from=now,
        valid_until=valid_until,
        approved_by=acting_user_or_none(acting_user),
        reason="",
    )


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason; the rider and your colleagues will see it."))
    return reason


def grant_suspend(
    *,
    grant: AccessGrant,
    reason: str,
    acting_user: User,
    reason_code: str = "",
    reason_params: dict[str, Any] | None = None,
) -> AccessGrant:
    """Pending or active → suspended (reversible with grant_reinstate). `reason_code`
    (with `reason_params`): a generated reason, shown in the reader's language."""
    return _change(
        grant,
        change="suspend",
        allowed_from={GrantStatus.PENDING, GrantStatus.ACTIVE},
        refusal=_("Only pending or active access can be suspended."),
        acting_user=acting_user,
        status=GrantStatus.SUSPENDED,
        reason=_reason_required(reason),
        reason_code=reason_code,
        reason_params=reason_params,
    )


def grants_suspend_active(
    *,
    community_id: int,
    reason: str,
    acting_user: User,
    reason_code: str = "",
    reason_params: dict[str, Any] | None = None,
) -> list[AccessGrant]:
    """Suspend every active grant at the community, each through grant_suspend (audited,
    on the gates' change log); returns them. For a decision that closes the community to
    riders (governance's no-entry resolution)."""
    grants = AccessGrant.objects.filter(
        community=community_id, status=GrantStatus.ACTIVE
    ).select_related("rider")
    return [
        grant_suspend(
            grant=grant,
            reason=reason,
            acting_user=acting_user,
            reason_code=reason_code,
            reason_params=reason_params,
        )
        for grant in grants
    ]


def grant_revoke(*, grant: AccessGrant, reason: str, acting_user: User) -> AccessGrant:
    """Any status but revoked → revoked. Registering again does not undo it; only staff
    can, with grant_reinstate."""
    return _change(
        grant,
        change="revoke",
        allowed_from={GrantStatus.PENDING, GrantStatus.ACTIVE, GrantStatus.SUSPENDED},
        refusal=_("This access is already revoked."),
        acting_user=acting_user,
        status=GrantStatus.REVOKED,
        reason=_reason_required(reason),
    )


def grant_reinstate(
    *,
    grant: AccessGrant,
    acting_user: User,
    reason: str = "",
    reason_code: str = "",
    reason_params: dict[str, Any] | None = None,
) -> AccessGrant:
    """Suspended or revoked → active again, keeping the validity period (extended by twelve
    months from now if it has run out)."""
    if not grant.rider.platform_active:
        raise ValidationError(
            _("The rider's platform has deactivated this rider; access cannot be reinstated."),
            code="platform_inactive",
        )
    now = timezone.now()
    values: dict[str, Any] = {
        "status": GrantStatus.ACTIVE,
        "reason": (reason or "").strip(),
        "reason_code": reason_code,
        "reason_params": reason_params,
    }
    if grant.valid_until is None or grant.valid_until <= now:
        values["valid_until"] = now + GRANT_DEFAULT_VALIDITY
        values["valid_from"] = min(grant.valid_from, now)
    if grant.approved_by_id is None:
        values["approved_by"] = acting_user_or_none(acting_user)
    return _change(
        grant,
        change="reinstate",
        allowed_from={GrantStatus.SUSPENDED, GrantStatus.REVOKED},
        refusal=_("Only suspended or revoked access can be reinstated."),
        acting_user=acting_user,
        **values,
    )


def grant_set_validity(
    *,
    grant: AccessGrant,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None,
    acting_user: User,
) -> AccessGrant:
    """Change the period in which the grant lets the rider in (status unchanged)."""
    if valid_from is None:
        raise ValidationError({"valid_from": _("Give the start of validity.")})
    if valid_until is not None and valid_until <= valid_from:
        raise ValidationError({"valid_until": _("The end of validity must come after its start.")})
    return _change(
        grant,
        change="set_validity",
        allowed_from={GrantStatus.PENDING, GrantStatus.ACTIVE, GrantStatus.SUSPENDED},
        refusal=_("The validity of revoked access cannot be changed."),
        acting_user=acting_user,
        valid_from=valid_from,
        valid_until=valid_until,
    )
