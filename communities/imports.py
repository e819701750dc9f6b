"""Bulk import of buildings and units from CSV or XLSX: parse → preview → apply.

Parsing writes nothing and returns every row with its errors, so staff see what is wrong
before anything changes. Applying is one transaction and idempotent: a second import of
the same file changes nothing; a changed area is updated; missing buildings and units are
created. Headers may be English or Chinese.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.tables import MAX_BYTES, MAX_COLS, TableError, table_read

from .models import Building, Community, Unit
from .signals import community_touch

__all__ = ["MAX_BYTES", "MAX_COLS", "ImportFileError", "units_import", "units_parse"]

MAX_ROWS = 50_000

HEADERS = {
    "building": ("building", "楼栋", "楼号", "栋"),
    "entrance": ("entrance", "单元"),
    "house_number": ("house_number", "house number", "房号", "门牌号"),
    "exclusive_area": ("exclusive_area", "area", "面积", "专有面积"),
    "building_name": ("building_name", "楼栋名称"),
    "x_pct": ("x_pct",),
    "y_pct": ("y_pct",),
}
REQUIRED = ("building", "house_number", "exclusive_area")
# Chinese files often write 7栋 / 2单元 / 1503室 in the cells; the number is what is stored.
SUFFIXES = {
    "building": ("号楼", "栋", "幢", "座", "楼", "#"),
    "entrance": ("单元",),
    "house_number": ("室", "号", "户"),
}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (type, size, encoding, headers)."""


@dataclass
class ImportRow:
    line: int
    building: str
    entrance: str
    house_number: str
    exclusive_area: str
    building_name: str = ""
    x_pct: str = ""
    y_pct: str = ""
    errors: list[str] = field(default_factory=list)
    action: str = ""  # "create", "update", "unchanged"

    @property
    def label(self) -> str:
        return "-".join(p for p in (self.building, self.entrance, self.house_number) if p)


def _read_table(name: str, data: bytes) -> list[list[str]]:
    try:
        return table_read(name, data, max_rows=MAX_ROWS)
    except TableError as exc:
        raise ImportFileError(str(exc)) from exc


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower()
        for key, aliases in HEADERS.items():
            if name in aliases and key not in found:
                found[key] = index
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        raise ImportFileError(
            _(
                "Missing columns: %(columns)s. Expected building, entrance, house_number, "
                "exclusive_area (or 楼栋, 单元, 房号, 面积)."
            )
            % {"columns": ", ".join(missing)}
        )
    return found


def units_parse(*, community: Community, name: str, data: bytes) -> list[ImportRow]:
    """Read and check every row; nothing is written. Raises ImportFileError when the file
    as a whole is unusable."""
    table = [row for row in _read_table(name, data) if any(c.strip() for c in row)]
    if not table:
        raise ImportFileError(_("The file is empty."))
    columns = _header_map(table[0])
    body = table[1:]
    if len(body) > MAX_ROWS:
        raise ImportFileError(
            _("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS}
        )

    def get(row: list[str], key: str) -> str:
        index = columns.get(key)
        if index is None or index >= len(row):
            return ""
        # NFKC: full-width digits and letters from a Chinese keyboard become plain ones.
        value = unicodedata.normalize("NFKC", row[index]).strip()
        for suffix in SUFFIXES.get(key, ()):
            if value.endswith(suffix) and len(value) > len(suffix):
                return value[: -len(suffix)].strip()
        return value

    existing = {
        (u.building.number, u.entrance, u.number): u.exclusive_area
        for u in Unit.objects.filter(building__community=community).select_related("building")
    }
    seen: dict[tuple[str, str, str], int] = {}
    rows: list[ImportRow] = []
    for offset, raw in enumerate(body, start=2):
        row = ImportRow(
            line=offset,
            building=get(raw, "building"),
            entrance=get(raw, "entrance"),
            house_number=get(raw, "house_number"),
            exclusive_area=get(raw, "exclusive_area"),
            building_name=get(raw, "building_name"),
            x_pct=get(raw, "x_pct"),
            y_pct=get(raw, "y_pct"),
        )
        if not row.building:
            row.errors.append(_("The building number is missing."))
        elif len(row.building) > 20:
            row.errors.append(_("The building number is longer than 20 characters."))
        if not row.house_number:
            row.errors.append(_("The house number is missing."))
        elif len(row.house_number) > 20 or len(row.entrance) > 20:
            row.errors.append(_("The entrance or house number is longer than 20 characters."))
        area = _decimal(row.exclusive_area)
        if area is None or area < Decimal("0.01") or area >= Decimal("100000000"):
            row.errors.append(
                _("The area %(value)r is not a positive number of square metres.")
                % {"value": row.exclusive_area}
            )
        for value in (row.x_pct, row.y_pct):
            number = _decimal(value) if value else Decimal(0)
            if number is None or not (0 <= number <= 100):
                row.errors.append(_("The marker must lie on the site map (0 to 100 %)."))
                break
        if bool(row.x_pct) != bool(row.y_pct):
            row.errors.append(_("Give both marker coordinates, or neither."))
        elif row.x_pct and not community.site_map:
            row.errors.append(
                _("Upload the community's site map first: a marker is a position on that map.")
            )
        key = (row.building, row.entrance, row.house_number)
        if row.building and row.house_number:
            if key in seen:
                row.errors.append(
                    _("House number %(label)s is also on line %(line)s.")
                    % {"label": row.label, "line": seen[key]}
                )
            else:
                seen[key] = offset
        if not row.errors:
            if key not in existing:
                row.action = "create"
            elif existing[key] != area.quantize(Decimal("0.01")):
                row.action = "update"
            else:
                row.action = "unchanged"
        rows.append(row)
    return rows


def _decimal(value: str) -> Decimal | None:
    try:
        text = unicodedata.normalize("NFKC", value).replace(",", "").strip()
        for unit in ("m2", "M2", "平方米", "平米"):
            text = text.removesuffix(unit).strip()
        number = Decimal(text)
    except (InvalidOperation, AttributeError):
        return None
    return number if number.is_finite() else None


@dataclass
class ImportResult:
    buildings_created: int = 0
    units_created: int = 0
    units_updated: int = 0
    unchanged: int = 0


@transaction.atomic
def units_import(
    *, community: Community, rows: list[ImportRow], acting_user: AbstractBaseUser | None
) -> ImportResult:
    """Apply checked rows in one transaction. Refuses if any row has errors."""
    if any(row.errors for row in rows):
        raise ImportFileError(_("Rows with errors cannot be imported; fix the file first."))
    result = ImportResult()
    buildings = {b.number: b for b in Building.objects.filter(community=community)}
    for row in rows:
        if row.building in buildings:
            continue
        marker = {}
        if row.x_pct and row.y_pct:
            marker = {"x_pct": _decimal(row.x_pct), "y_pct": _decimal(row.y_pct)}
        buildings[row.building] = Building.objects.create(
            community=community, number=row.building, name=row.building_name, **marker
        )
        result.buildings_created += 1
    units = {
        (u.building_id, u.entrance, u.number): u
        for u in Unit.objects.filter(building__community=community)
    }
    to_create: list[Unit] = []
    to_update: list[Unit] = []
    for row in rows:
        building = buildings[row.building]
        area = _decimal(row.exclusive_area).quantize(Decimal("0.01"))
        unit = units.get((building.pk, row.entrance, row.house_number))
        if unit is None:
            to_create.append(
                Unit(
                    building=building,
                    entrance=row.entrance,
                    number=row.house_number,
                    exclusive_area=area,
                )
            )
        elif unit.exclusive_area != area:
            unit.exclusive_area = area
            to_update.append(unit)
        else:
            result.unchanged += 1
    Unit.objects.bulk_create(to_create, batch_size=2000)
    Unit.objects.bulk_update(to_update, ["exclusive_area"], batch_size=2000)
    result.units_created = len(to_create)
    result.units_updated = len(to_update)
    # bulk writes send no signals: bump the community so cached pages refresh.
    community_touch(community.pk)
    audit_record(
        action="units_import",
        obj=community,
        acting_user=acting_user,
        community_id=community.pk,
        after=asdict(result),
    )
    return result


def rows_to_json(rows: list[ImportRow]) -> list[dict]:
    return [asdict(row) for row in rows]


def rows_from_json(data: list[dict]) -> list[ImportRow]:
    return [ImportRow(**item) for item in data]
