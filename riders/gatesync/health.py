"""Reads: how far each gate controller is from its community's access list.

Two queries whatever the number of controllers: the controllers with their gate and sync
state, and the heads of their communities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

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


def health_of(controller: GateController, head: int) -> ControllerHealth:
    sync = getattr(controller, "sync", None)
    held = sync.version_held if sync else None
    if not controller.enabled:
        state = DISABLED
    elif sync is not None and sync.offline_since is not None:
        state = OFFLINE
    elif held is None:
        state = NEVER
    elif held >= head:
        state = IN_SYNC
    else:
        state = BEHIND
    return ControllerHealth(
        controller=controller,
        state=state,
        head=head,
        held=held,
        behind=max(head - held, 0) if held is not None else head,
        offline_since=sync.offline_since if sync else None,
        last_heartbeat_at=sync.last_heartbeat_at if sync else None,
        last_error=sync.last_error if sync else "",
        last_error_at=sync.last_error_at if sync else None,
        confirmed_at=sync.confirmed_at if sync else None,
    )
