"""Owners, their units, resolutions and ballots.

Who votes is decided by the **roll frozen when a resolution opens** (`RollEntry`): a sale
during the vote does not change who votes or with which area. One roll entry is one
*voter* in the sense of Civil Code Art. 278 (see `governance/tally.py` for the exact
definition); a `Ballot` belongs to a roll entry, and the database keeps at most one per
voter and resolution.

One module per sub-domain: owners.py, resolutions.py (with their state changes and
reminders), roll.py, ballots.py (with their log), append_only.py, outcomes.py (rules
set and grants suspended by resolutions), feedback.py, notices.py.

Writes go through `governance.services`; models hold fields, constraints and checks that
need no extra query.
"""

from .append_only import AppendOnly, AppendOnlyError
from .ballots import Ballot, BallotLog, Choice, receipt_code_new
from .feedback import Feedback, feedback_token_new
from .notices import Notice
from .outcomes import GrantSuspension, RulesDecision
from .owners import Owner, Ownership
from .resolutions import Matter, Reminder, Resolution, ResolutionEvent, ResolutionState
from .roll import RollEntry, RollMember

__all__ = [
    "AppendOnly",
    "AppendOnlyError",
    "Ballot",
    "BallotLog",
    "Choice",
    "Feedback",
    "GrantSuspension",
    "Matter",
    "Notice",
    "Owner",
    "Ownership",
    "Reminder",
    "Resolution",
    "ResolutionEvent",
    "ResolutionState",
    "RollEntry",
    "RollMember",
    "RulesDecision",
    "feedback_token_new",
    "receipt_code_new",
]
