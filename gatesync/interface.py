"""Gate sync's one door: what the rest of the project calls. Nothing outside gatesync
imports its other modules (its tests, `bench/` and its own admin, API and command aside).

Writes — each logs in the caller's transaction and pushes the controllers after commit:

    access_changed(...)      a grant's rider may now pass, or no longer (riders' grants)
    policy_changed(...)      a community's entry policy, riders' hours or gates' rules
                             (gatesync.receivers, on communities' domain signals)
    keys_changed(...)        the published pass-signing keys (riders' key rotation)
    controller_resync(...)   staff's "Sync now" / "Full resync", with an audit row

Reads: `listed_grant_ids`, `controllers_health`; controllers' signed requests:
`controller_authenticate`. Start-up: `providers_register` (riders hands in the public keys
and the riders' names gate sync sends, see gatesync.providers). Tests: `process_cache`.

Gate sync knows who may pass, never why: a grant arrives as an `Access` (rider, from,
until) or None, whoever decided it and however.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from communities.models import GateController
from core.audit import audit_record

from . import outbox
from .auth import Refusal, controller_authenticate, nonce_replayed, request_nonce
from .cache import process_cache
from .documents import current_policy
from .health import ControllerHealth, controllers_health, controllers_in_sync_count
from .outbox import Access, listed_grant_ids
from .providers import providers_register
from .push import controller_resync_request
from .tasks import enqueue_push, push_after_commit

__all__ = [
    "Access",
    "ControllerHealth",
    "Refusal",
    "access_changed",
    "controller_authenticate",
    "controller_resync",
    "controllers_health",
    "controllers_in_sync_count",
    "keys_changed",
    "listed_grant_ids",
    "nonce_replayed",
    "policy_changed",
    "process_cache",
    "providers_register",
    "request_nonce",
]


def access_changed(
    *, community_id: int, grant_id: int, access: Access | None, cause: str, new: bool = False
) -> int | None:
    """Bring the community's list in line with the grant: on it with `access` (unless its
    validity has ended), or off it (None). Returns the new version, or None when the list
    already agreed (nothing is written). Call it inside the transaction that changed the
    grant; `new`: the grant was inserted by it, so it cannot be listed yet. `cause` is
    the log's label for the change (the grant service's verb, "platform_deactivate"…)."""
    logged = outbox.grant_log(
        community_id=community_id, grant_id=grant_id, access=access, cause=cause, new=new
    )
    if logged is None:
        return None
    version, controller_ids = logged
    push_after_commit(community_id, controller_ids=controller_ids)
    return version


def policy_changed(*, community_id: int, cause: str) -> int | None:
    """Log the community's policy (entry policy, riders' hours, each gate's opening to
    riders and hours) as its current rules and gates say, if it differs from the logged;
    returns the new version or None."""
    version = outbox.policy_log(community_id, current_policy(community_id), cause=cause)
    if version is not None:
        push_after_commit(community_id)
    return version


def keys_changed(*, keys: list[dict[str, Any]], cause: str = "key_rotate") -> int:
    """Log the published pass-signing keys (public JWKs) for every community that has
    controllers or a list; returns how many communities."""
    community_ids = outbox.keys_log(keys, cause=cause)
    for community_id in community_ids:
        push_after_commit(community_id)
    return len(community_ids)


def controller_resync(
    *,
    controller: GateController,
    acting_user: AbstractBaseUser | AnonymousUser | None,
    full: bool = False,
) -> bool:
    """Staff asked for "Sync now" (send what is missing) or, `full`, "Full resync" (the
    whole list): recorded with an audit row, then a push is enqueued at once. The push
    carries `snapshot=full` itself, so it does not wait for this commit (the admin and the
    dashboard call this in autocommit: their rows are committed when it enqueues). False
    when the task queue cannot be reached: reconcile pushes once it is back."""
    with transaction.atomic():
        controller_resync_request(controller=controller, full=full)
        audit_record(
            action="controller_full_resync" if full else "controller_sync_now",
            obj=controller,
            acting_user=acting_user,
            community_id=controller.gate.community_id,
        )
    return enqueue_push(controller.pk, snapshot=full)
