"""Importing a community's owners' roll from CSV or XLSX, with a preview.

Columns, in this order (a header row is recognised and skipped): house number
(``7-2-1503``, ``7栋2单元1503室`` …), owner name, phone, co-owners (names separated by
``;`` ``；`` or ``、``), developer-held (yes/no, 是/否, 1/0).

Re-importing the same file changes nothing: each listed unit ends up held by exactly the
owners in its row (owners matched by phone, then by name among the unit's and the
community's owners), so a corrected file replaces a unit's holders. Units not in the
file are left alone. Rows with errors are shown in the preview and skipped.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils.translation import gettext as _

from communities.housenumber import house_number_parse
from communities.models import Community, Unit
from portal.audit import audit_record

from ..models import Owner, Ownership

User = AbstractBaseUser | AnonymousUser | None
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
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
    unit: Unit | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class RollFileError(ValueError):
    """The file as a whole cannot be read (message for staff)."""


def _cells(filename: str, content: bytes) -> list[list[str]]:
    if len(content) > MAX_BYTES:
        raise RollFileError(_("The file is larger than 5 MB; split it."))
    if filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 — any unreadable workbook is the same error
            raise RollFileError(_("This is not a readable XLSX workbook.")) from exc
        sheet = book.worksheets[0]
        return [
            ["" if v is None else str(v).strip() for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RollFileError(_("The CSV file is neither UTF-8 nor GB18030 text."))
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


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
    cells = [row for row in _cells(filename, content) if any(row)]
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
        raw = (raw + [""] * 5)[:5]
        house, name, phone, co, dev = raw
        row = RollRow(line=first_line + offset, house=house, name=name, phone=phone)
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
    return rows


def _owner_find(
    name: str, phone: str, current: list[Owner], by_name: dict[str, Owner]
) -> Owner | None:
    if phone:
        found = Owner.objects.filter(phone=phone).first()
        if found:
            return found
    for owner in current:
        if owner.name == name and (not phone or not owner.phone or owner.phone == phone):
            return owner
    candidate = by_name.get(name)
    if candidate and (not phone or not candidate.phone or candidate.phone == phone):
        return candidate
    return None


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
    by_name = {
        o.name: o
        for o in Owner.objects.filter(ownerships__unit__building__community=community).distinct()
    }
    for row in good:
        existing = current.get(row.unit.pk, [])
        owners_now = [o.owner for o in existing]
        wanted: list[tuple[Owner, bool]] = []
        for index, name in enumerate([row.name, *row.co_owners]):
            phone = row.phone if index == 0 else ""
            owner = _owner_find(name, phone, owners_now, by_name)
            if owner is None:
                owner = Owner.objects.create(name=name, phone=phone)
                counts["owners_created"] += 1
            elif phone and not owner.phone:
                owner.phone = phone
                owner.save(update_fields=["phone"])
            by_name.setdefault(name, owner)
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
