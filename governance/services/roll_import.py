"""Importing a community's owners' roll from CSV or XLSX, with a preview.

Columns, in this order (a header row is recognised and skipped): house number
(``7-2-1503``, ``7栋2单元1503室`` …), owner name, phone, co-owners (names separated by
``;`` ``；`` or ``、``), developer-held (yes/no, 是/否, 1/0), and optionally the roll's own
owner key (业主编号: the same key on several rows is the same owner).

Who an owner is (never guessed from a name, issue #19 item 6): the same phone is the same
owner, among the owners of the importing community's property company only (issue #16
item 2); the same owner key within one file is the same owner; otherwise a name matches only
someone who already holds that very unit (so re-importing a file changes nothing). Two rows
naming 张伟 with no phone or key are two owners, and the preview points them out so staff
can add a phone or key if they are one person.

Re-importing the same file changes nothing: each listed unit ends up held by exactly the
owners in its row, so a corrected file replaces a unit's holders. Units not in the file are
left alone. Rows with errors are shown in the preview and skipped. The file is read by the
one bounded table reader (core.tables) that the units import uses too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from communities.housenumber import house_number_parse
from communities.models import Community, Unit
from core.audit import audit_record
from core.tables import TableError, table_read
from core.users import ActingUser as User

from ..models import Owner, Ownership

MAX_ROWS = 50_000
#: Columns the roll has (fewer than the reader's own bound, core.tables.MAX_COLS).
COLUMNS = 6
TRUE = {"yes", "y", "true", "1", "是", "开发商", "x", "✓"}
FALSE = {"", "no", "n", "false", "0", "否"}
CO_OWNER_SPLIT = re.compile(r"[;；、,，/]+")


@dataclass
class RollRow:
    line: int
    house: str
    name: str
    phone: str = ""
    co_owners: list[str] = field(default_factory=list)
    developer: bool = False
    key: str = ""
    unit: Unit | None = None
    errors: list[str] = field(default_factory=list)
    #: Warnings that do not stop the row (same-name owners for staff to resolve).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class RollFileError(ValueError):
    """The file as a whole cannot be read (message for staff)."""


def _cells(filename: str, content: bytes) -> list[list[str]]:
    try:
        return table_read(filename, content, max_rows=MAX_ROWS)
    except TableError as exc:
        raise RollFileError(str(exc)) from exc


def _unit_index(community: Community) -> tuple[dict, dict]:
    exact: dict[tuple[str, str, str], Unit] = {}
    loose: dict[tuple[str, str], list[Unit]] = {}
    for unit in Unit.objects.filter(building__community=community).select_related("building"):
        key = (unit.building.number.upper(), unit.entrance.upper(), unit.number.upper())
        exact[key] = unit
        loose.setdefault((key[0], key[2]), []).append(unit)
    return exact, loose


def roll_parse(*, community: Community, filename: str, content: bytes) -> list[RollRow]:
    """Read the file into rows with their units found and their errors listed."""
    cells = _cells(filename, content)
    if cells and house_number_parse(cells[0][0] or "") is None:
        cells = cells[1:]  # a header row
        first_line = 2
    else:
        first_line = 1
    if len(cells) > MAX_ROWS:
        raise RollFileError(_("The file has more than 50,000 rows; split it."))
    exact, loose = _unit_index(community)
    seen: dict[int, int] = {}
    rows = []
    for offset, raw in enumerate(cells):
        raw = (raw + [""] * COLUMNS)[:COLUMNS]
        house, name, phone, co, dev, key = raw
        row = RollRow(line=first_line + offset, house=house, name=name, phone=phone, key=key)
        row.co_owners = [c.strip() for c in CO_OWNER_SPLIT.split(co) if c.strip()]
        if dev.strip().lower() in TRUE:
            row.developer = True
        elif dev.strip().lower() not in FALSE:
            row.errors.append(_("Developer-held must be yes or no, not “%(v)s”.") % {"v": dev})
        if not name:
            row.errors.append(_("The owner's name is missing."))
        parsed = house_number_parse(house) if house else None
        if parsed is None or parsed.room is None:
            row.errors.append(
                _("“%(house)s” is not a house number like 7-2-1503.") % {"house": house}
            )
        else:
            key = (parsed.building.upper(), (parsed.entrance or "").upper(), parsed.room.upper())
            row.unit = exact.get(key)
            if row.unit is None and not parsed.entrance:
                candidates = loose.get((key[0], key[2]), [])
                row.unit = candidates[0] if len(candidates) == 1 else None
            if row.unit is None:
                row.errors.append(
                    _("No unit %(house)s in this community.") % {"house": str(parsed)}
                )
            elif row.unit.pk in seen:
                row.errors.append(
                    _("The same unit is already on line %(line)s.") % {"line": seen[row.unit.pk]}
                )
            else:
                seen[row.unit.pk] = row.line
        rows.append(row)
    _same_names_note(rows)
    return rows


def _same_names_note(rows: list[RollRow]) -> None:
    """Note every row naming someone, without a phone or owner key, whose name is also on
    another row: they will be separate owners, and staff should see that before importing.
    Reads only the file, so the preview says nothing about owners anywhere else."""
    lines: dict[str, list[int]] = {}
    unidentified: list[tuple[RollRow, str]] = []
    for row in rows:
        if not row.ok:
            continue
        for index, name in enumerate([row.name, *row.co_owners]):
            if row.line not in lines.setdefault(name, []):
                lines[name].append(row.line)
            if index > 0 or not (row.phone or row.key):
                unidentified.append((row, name))
    for row, name in unidentified:
        others = [line for line in lines[name] if line != row.line]
        if others:
            row.notes.append(
                _(
                    "“%(name)s” is also on line %(lines)s. Without the same phone or owner key "
                    "they are imported as different owners."
                )
                % {"name": name, "lines": ", ".join(str(line) for line in others)}
            )


class _Owners:
    """Finds the owner a row means, by stable identities only (see the module docstring)."""

    def __init__(self, community: Community, rows: list[RollRow]) -> None:
        # Company, not community: a company's staff group holds the same permissions on
        # every community of the company (communities.permissions), so one person owning
        # flats in two of them is one owner with one log-in, seen by the same staff. Beyond
        # the company nothing is matched: another company's owner is never attached, and
        # nothing here (or in the counts) depends on whether a phone exists elsewhere.
        phones = {r.phone for r in rows if r.phone}
        self.by_phone: dict[str, Owner] = {}
        for owner in (
            Owner.objects.filter(
                phone__in=phones,
                ownerships__unit__building__community__company_id=community.company_id,
            )
            .distinct()
            .order_by("pk")
        ):
            self.by_phone.setdefault(owner.phone, owner)
        self.by_key: dict[str, Owner] = {}

    def find(self, *, name: str, phone: str, key: str, holders: list[Owner]) -> Owner | None:
        if phone and phone in self.by_phone:
            return self.by_phone[phone]
        if key and key in self.by_key:
            return self.by_key[key]
        # The same name on the same unit is the same holding (a re-import), unless the file
        # gives that person a different phone.
        for owner in holders:
            if owner.name == name and (not phone or not owner.phone or owner.phone == phone):
                return owner
        return None

    def remember(self, owner: Owner, *, phone: str, key: str) -> None:
        if phone:
            self.by_phone.setdefault(phone, owner)
        if key:
            self.by_key.setdefault(key, owner)


@transaction.atomic
def roll_import(*, community: Community, rows: list[RollRow], acting_user: User) -> dict[str, int]:
    """Apply the rows without errors. Returns counts for the message to staff."""
    counts = {"units": 0, "owners_created": 0, "added": 0, "removed": 0, "skipped": 0}
    good = [r for r in rows if r.ok]
    counts["skipped"] = len(rows) - len(good)
    unit_ids = [r.unit.pk for r in good]
    current: dict[int, list[Ownership]] = {}
    for ownership in Ownership.objects.filter(unit_id__in=unit_ids).select_related("owner"):
        current.setdefault(ownership.unit_id, []).append(ownership)
    owners = _Owners(community, good)
    for row in good:
        existing = current.get(row.unit.pk, [])
        owners_now = [o.owner for o in existing]
        wanted: list[tuple[Owner, bool]] = []
        for index, name in enumerate([row.name, *row.co_owners]):
            phone, key = (row.phone, row.key) if index == 0 else ("", "")
            chosen = {o.pk for o, _dev in wanted}
            holders = [o for o in owners_now if o.pk not in chosen]
            owner = owners.find(name=name, phone=phone, key=key, holders=holders)
            if owner is None:
                owner = Owner.objects.create(name=name, phone=phone)
                counts["owners_created"] += 1
            elif phone and not owner.phone:
                owner.phone = phone
                owner.save(update_fields=["phone"])
            owners.remember(owner, phone=phone, key=key)
            wanted.append((owner, row.developer))
        wanted_ids = {o.pk: dev for o, dev in wanted}
        for ownership in existing:
            if ownership.owner_id not in wanted_ids:
                ownership.delete()
                counts["removed"] += 1
            elif ownership.developer_held != wanted_ids[ownership.owner_id]:
                ownership.developer_held = wanted_ids[ownership.owner_id]
                ownership.save(update_fields=["developer_held"])
        have = {o.owner_id for o in existing}
        for owner_id, developer in wanted_ids.items():
            if owner_id not in have:
                Ownership.objects.create(unit=row.unit, owner_id=owner_id, developer_held=developer)
                counts["added"] += 1
        counts["units"] += 1
    audit_record(
        action="roll_import",
        obj=community,
        acting_user=acting_user,
        community_id=community.pk,
        after=counts,
    )
    return counts
