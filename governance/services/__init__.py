"""Writes to the governance domain: one function per change, each with an audit row.

`resolutions` (create, open with its frozen roll, close and count, effects),
`ballots` (cast), `owners` (owners, ownerships, roll import, invitations, log-in codes).
"""

from .ballots import ballot_cast
from .owners import owner_create, ownership_add
from .resolutions import (
    resolution_close,
    resolution_create,
    resolution_handoff_set,
    resolution_open,
    resolution_open_blockers,
    resolutions_close_due,
    roll_freeze,
)

__all__ = [
    "ballot_cast",
    "owner_create",
    "ownership_add",
    "resolution_close",
    "resolution_create",
    "resolution_handoff_set",
    "resolution_open",
    "resolution_open_blockers",
    "resolutions_close_due",
    "roll_freeze",
]
