"""Reads: how far each gate controller is from its community's access list.

Two queries whatever the number of controllers: the controllers with their gate and sync
state, and the heads of their communities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communities.models import GateController

from .models import AccessListHead

IN_SYNC = "in_sync"
BEHIND = "behind"
OFFLINE = "offline"
NEVER = "never"
DISABLED = "disabled"


@dataclass
class ControllerHealth:
    controller: GateController
    state: str  # one of IN_SYNC, BEHIND, OFFLINE, NEVER, DISABLED
    head: int
    held: int | None
    behind: int  # versions between what it holds and the head (0 when in sync)
    offline_since: dt.datetime | None
    last_heartbeat_at: dt.datetime | None
    last_error: str
    last_error_at: dt.datetime | None
    confirmed_at: dt.datetime | None

    @property
    def ok(self) -> bool:
        return self.state in (IN_SYNC, DISABLED)

    @property
    def label(self) -> str:
        if self.state == IN_SYNC:
            return _("in sync")
        if self.state == BEHIND:
            return ngettext("%(n)d change behind", "%(n)d changes behind", self.behind) % {
                "n": self.behind
            }
        if self.state == OFFLINE:
            return _("offline since %(when)s") % {
                "when": self.offline_since.strftime("%Y-%m-%d %H:%M") if self.offline_since else "?"
            }
        if self.state == DISABLED:
            return _("disabled")
        return _("never synced")


def controllers_health(
    *,
    community_ids: Iterable[int] | None = None,
    controller_ids: Iterable[int] | None = None,
) -> list[ControllerHealth]:
    """Health of the controllers of these communities (or these controllers), ordered by
    community, gate and name."""
    controllers = GateController.objects.select_related("gate__community", "sync").order_by(
        "gate__community_id", "gate__name", "name"
    )
    if community_ids is not None:
        controllers = controllers.filter(gate__community_id__in=list(community_ids))
    if controller_ids is not None:
        controllers = controllers.filter(pk__in=list(controller_ids))
    controllers = list(controllers)
    heads = dict(
        AccessListHead.objects.filter(
            community_id__in={c.gate.community_id for c in controllers}
        ).values_list("community_id", "version")
    )
    return [health_of(c, heads.get(c.gate.community_id, 0)) for c in controllers]


def heartbeat_offline_seconds() -> int:
    """Silent this long after its last heartbeat, a controller that sends them is offline
    (docs/gate-protocol.md §4: every 30-60 s, so three missed at the slowest)."""
    return int(getattr(settings, "GATESYNC_HEARTBEAT_OFFLINE_SECONDS", 180))


def health_of(controller: GateController, head: int) -> ControllerHealth:
    sync = getattr(controller, "sync", None)
    held = sync.version_held if sync else None
    offline_since = sync.offline_since if sync else None
    last_beat = sync.last_heartbeat_at if sync else None
    silent = last_beat is not None and timezone.now() - last_beat > dt.timedelta(
        seconds=heartbeat_offline_seconds()
    )
    if offline_since is None and silent:
        offline_since = last_beat  # its heartbeats stopped: offline since the last one
    if not controller.enabled:
        state = DISABLED
    elif offline_since is not None:
        state = OFFLINE
    elif held is None:
        state = NEVER
    elif held >= head and not sync.needs_snapshot:
        state = IN_SYNC
    else:
        state = BEHIND
    return ControllerHealth(
        controller=controller,
        state=state,
        head=head,
        held=held,
        # A list that differs at the same version counts as one change behind.
        behind=max(head - held, int(bool(sync and sync.needs_snapshot)))
        if held is not None
        else head,
        offline_since=offline_since,
        last_heartbeat_at=sync.last_heartbeat_at if sync else None,
        last_error=sync.last_error if sync else "",
        last_error_at=sync.last_error_at if sync else None,
        confirmed_at=sync.confirmed_at if sync else None,
    )


def controllers_in_sync_count(community_id: int) -> tuple[int, int]:
    """(enabled controllers of the community, those holding its current list), one query."""
    head_version = Subquery(
        AccessListHead.objects.filter(community_id=community_id).values("version")[:1]
    )
    row = GateController.objects.filter(gate__community_id=community_id, enabled=True).aggregate(
        total=Count("pk"),
        in_sync=Count("pk", filter=Q(sync__version_held__gte=head_version)),
    )
    return row["total"], row["in_sync"]
