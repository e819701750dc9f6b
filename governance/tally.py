"""Counting owners' votes under Civil Code Art. 278 — the one place the rule lives.

Who is a voter
--------------
The roll is frozen when a resolution opens (`services.roll_freeze`); every
`RollEntry` is one voter, with the set of units it holds and their summed exclusive area:

* All units marked `developer_held` (the developer's unsold units) together form ONE
  voter, key ``developer``, whoever the developer's owner rows are.
* Every other unit belongs to its *holder group*: the set of owners with an `Ownership`
  of that unit. All units with the same holder group form ONE voter, key
  ``owners:<sorted owner ids>``. So an owner of ten units counts once with ten areas
  summed, and a unit held by a married couple counts once (the co-owners vote as one:
  one ballot per holder group; any of them may cast or, if allowed, change it). An owner
  who owns one flat alone and another jointly is two holder groups, hence two voters —
  the joint flat's vote belongs to both co-owners together.
* A unit nobody is registered for is its own voter, key ``unit:<id>``, who cannot vote:
  it still counts in the totals, because Art. 278 counts all owners and all area.

Participation ("参与表决") is casting any ballot; an abstention takes part but never
approves.

Rules (all comparisons on integers; areas are hundredths of m²)
----------------------------------------------------------------
* Quorum: participating area >= 2/3 of total area AND participating voters >= 2/3 of
  all voters.
* Ordinary matter: approving area > 1/2 of participating area AND approving voters >
  1/2 of participating voters.
* Major matter (Art. 278 items 6–8: raising maintenance funds, rebuilding,
  changing the use of common parts or running a business in them): approving area >=
  3/4 of participating area AND approving voters >= 3/4 of participating voters.
  Using maintenance funds is item 5: an ordinary matter.
* Without a quorum a resolution fails, whatever the approval.

Cost: two aggregate queries (roll totals; this resolution's ballots grouped by choice, each
voter's area looked up by primary key), proportional to this resolution's roll and
ballots, never to other resolutions'.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils.translation import gettext_lazy as _

from .models import Ballot, Choice, Matter, RollEntry

QUORUM = Fraction(2, 3)
ORDINARY = Fraction(1, 2)
MAJOR = Fraction(3, 4)

RULE_TEXT = {
    Matter.ORDINARY: _(
        "Civil Code Art. 278: owners holding at least two thirds of the area and at least "
        "two thirds of the owners took part; approved by more than half of the "
        "participating area and more than half of the participating owners."
    ),
    Matter.MAJOR: _(
        "Civil Code Art. 278 (major matter, items 6–8): owners holding at least two thirds "
        "of the area and at least two thirds of the owners took part; approved by at least "
        "three quarters of the participating area and three quarters of the participating "
        "owners."
    ),
}


@dataclass(frozen=True)
class Tally:
    """The figures of a count. Areas are integers in hundredths of m²."""

    matter: str
    total_area: int
    total_voters: int
    for_area: int = 0
    for_voters: int = 0
    against_area: int = 0
    against_voters: int = 0
    abstain_area: int = 0
    abstain_voters: int = 0

    # --- derived -----------------------------------------------------------------------

    @property
    def participating_area(self) -> int:
        return self.for_area + self.against_area + self.abstain_area

    @property
    def participating_voters(self) -> int:
        return self.for_voters + self.against_voters + self.abstain_voters

    @property
    def quorum_area_met(self) -> bool:
        return 3 * self.participating_area >= 2 * self.total_area and self.total_area > 0

    @property
    def quorum_voters_met(self) -> bool:
        return 3 * self.participating_voters >= 2 * self.total_voters and self.total_voters > 0

    @property
    def quorum_met(self) -> bool:
        return self.quorum_area_met and self.quorum_voters_met

    @property
    def approval_area_met(self) -> bool:
        part = self.participating_area
        if part == 0:
            return False
        if self.matter == Matter.MAJOR:
            return 4 * self.for_area >= 3 * part
        return 2 * self.for_area > part

    @property
    def approval_voters_met(self) -> bool:
        part = self.participating_voters
        if part == 0:
            return False
        if self.matter == Matter.MAJOR:
            return 4 * self.for_voters >= 3 * part
        return 2 * self.for_voters > part

    @property
    def passed(self) -> bool:
        return self.quorum_met and self.approval_area_met and self.approval_voters_met

    @property
    def approval_threshold(self) -> Fraction:
        return MAJOR if self.matter == Matter.MAJOR else ORDINARY

    @property
    def rule_text(self) -> str:
        return str(RULE_TEXT[Matter(self.matter)])

    def share(self, part: str, whole: str) -> Fraction:
        """Exact share, e.g. `share("participating_area", "total_area")`; 0 if empty."""
        denominator = getattr(self, whole)
        return Fraction(getattr(self, part), denominator) if denominator else Fraction(0)

    def percent(self, part: str, whole: str) -> str:
        """For display only: a share as a percentage with one decimal (never compared)."""
        share = self.share(part, whole) * 1000
        tenths = share.numerator * 2 // share.denominator
        tenths = (tenths + 1) // 2  # round half up
        return f"{tenths // 10}.{tenths % 10}"

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            participating_area=self.participating_area,
            participating_voters=self.participating_voters,
            quorum_met=self.quorum_met,
            passed=self.passed,
        )
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tally:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})


def ballot_voter_area() -> Subquery:
    """A ballot's voter area (hundredths of m²), looked up by the roll entry's primary key;
    to sum over ballots. The plan then has no join for PostgreSQL to choose, so its cost is
    the ballots summed whatever the statistics say. Joins chose by row estimates:
    roll-to-ballots hashed every ballot of every resolution (a full scan of a table that
    grows with every vote held), ballots-to-roll read all 167,000 roll entries (the
    dashboard's participation: the whole 250,000-entry roll table), and with both filtered
    by resolution on stale statistics a nested loop took 60 ms to 16 s."""
    voter = RollEntry.objects.filter(pk=OuterRef("voter_id")).order_by()
    return Subquery(voter.values("area_hundredths"))


def tally(resolution) -> Tally:
    """Count `resolution`'s ballots against its frozen roll (two queries)."""
    totals = RollEntry.objects.filter(resolution=resolution).aggregate(
        area=Sum("area_hundredths"), voters=Count("id")
    )
    values: dict[str, int] = {}
    # This resolution's ballots (by the ballot's resolution index), each voter's area by a
    # primary-key look-up (`ballot_voter_area`).
    rows = (
        Ballot.objects.filter(resolution=resolution)
        .order_by()
        .values("choice")
        .annotate(area=Sum(ballot_voter_area()), voters=Count("id"))
    )
    for row in rows:
        if row["choice"] in Choice.values:
            values[f"{row['choice']}_area"] = int(row["area"] or 0)
            values[f"{row['choice']}_voters"] = int(row["voters"])
    return Tally(
        matter=resolution.matter,
        total_area=int(totals["area"] or 0),
        total_voters=int(totals["voters"] or 0),
        **values,
    )


def area_m2(hundredths: int) -> str:
    """`1234567` → `"12345.67"`: exact, for display."""
    sign = "-" if hundredths < 0 else ""
    hundredths = abs(hundredths)
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}"
