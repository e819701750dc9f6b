"""Reading a spreadsheet staff upload (CSV or XLSX) into rows of text, within fixed bounds.

The one table reader for every import (buildings and units in communities; the owners'
roll in governance). It knows nothing of units or owners: bytes in, rows of stripped
strings out.

Bounds are applied WHILE iterating, never after: an XLSX of 1.6 KB can declare
``<dimension ref="A1:XFD1048576"/>`` and a lone row at 1,048,576, which openpyxl pads with
empty rows as wide as the dimension (16,384 cells each; 10,000 such rows took 28 s and
1.4 GB). Here at most ``max_cols`` columns are read, blank rows are skipped (before any cell
is converted), and reading stops with an error once more than ``max_rows`` rows with content
or more than ``BLANK_ROWS_ALLOWED`` blank rows have gone by.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
#: Columns read from a sheet: a row 16,384 cells wide must not cost memory (zip bombs).
MAX_COLS = 32
#: Blank rows tolerated in a file (blank lines between blocks are normal; thousands of
#: them are padding or a crafted file, and reading stops there).
BLANK_ROWS_ALLOWED = 1_000


class TableError(ValueError):
    """The file as a whole cannot be read (message for staff)."""


@dataclass
class TableStats:
    """What a read cost: rows taken from the file (blank ones included). Tests assert on it."""

    rows_read: int = 0


def table_read(
    name: str,
    data: bytes,
    *,
    max_rows: int | None = None,
    max_cols: int = MAX_COLS,
    stats: TableStats | None = None,
) -> list[list[str]]:
    """The non-blank rows of the first sheet of `data` (CSV by `.csv`, else `.xlsx`/`.xlsm`),
    each cell stripped text, at most `max_cols` wide. Raises TableError (size, type,
    encoding, unreadable workbook, more than `max_rows` rows)."""
    max_rows = MAX_ROWS if max_rows is None else max_rows
    stats = stats if stats is not None else TableStats()
    if len(data) > MAX_BYTES:
        raise TableError(_("The file is larger than 5 MB; split it into several files."))
    lowered = name.lower()
    if lowered.endswith(".csv"):
        raw: Iterable[Iterable[object]] = csv.reader(io.StringIO(_csv_text(data)))
        return _bounded(raw, max_rows=max_rows, max_cols=max_cols, stats=stats)
    if lowered.endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            # data_only: a formula's cached value is read, never the formula itself.
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
        except Exception as exc:
            raise TableError(_("This is not a readable XLSX workbook.")) from exc
        try:
            # max_col bounds each row openpyxl builds (padded rows included); the generator
            # is consumed lazily, so _bounded's row limit stops the padding too.
            rows = sheet.iter_rows(values_only=True, max_col=max_cols)
            return _bounded(rows, max_rows=max_rows, max_cols=max_cols, stats=stats)
        except TableError:
            raise
        except Exception as exc:
            raise TableError(_("This is not a readable XLSX workbook.")) from exc
        finally:
            workbook.close()
    raise TableError(_("Upload a .csv or .xlsx file."))


def _csv_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("The CSV file is neither UTF-8 nor GB18030 text."))


def _bounded(
    rows: Iterable[Iterable[object]], *, max_rows: int, max_cols: int, stats: TableStats
) -> list[list[str]]:
    table: list[list[str]] = []
    blank = 0
    # Whatever the rows hold (blank, whitespace, content), reading stops past this many:
    # a file of millions of whitespace rows tied a worker up for minutes.
    rows_at_most = max_rows + 1 + BLANK_ROWS_ALLOWED
    for values in _counted(rows, stats):
        if stats.rows_read > rows_at_most:
            raise TableError(
                _("The file has more than %(max)s rows; split it.") % {"max": max_rows}
            )
        head = _first(values, max_cols)
        # Padding rows are all None: no cell of theirs is turned into text.
        cells = [] if all(v is None or v == "" for v in head) else [_cell(v) for v in head]
        while cells and not cells[-1]:  # openpyxl pads every row to the widest one
            cells.pop()
        if not any(cell.strip() for cell in cells):  # padding, empty or spaces only
            blank += 1
            if blank > BLANK_ROWS_ALLOWED:
                raise TableError(
                    _("The file has more than %(max)s empty rows; delete them and upload it again.")
                    % {"max": BLANK_ROWS_ALLOWED}
                )
            continue
        table.append(cells)
        if len(table) > max_rows + 1:  # + 1: a header row
            raise TableError(
                _("The file has more than %(max)s rows; split it.") % {"max": max_rows}
            )
    return table


def _counted(rows: Iterable[Iterable[object]], stats: TableStats) -> Iterator[Iterable[object]]:
    for values in rows:
        stats.rows_read += 1
        yield values


def _first(values: Iterable[object], count: int) -> list[object]:
    if isinstance(values, list | tuple):
        return list(values[:count])
    out = []
    for value in values:
        if len(out) >= count:
            break
        out.append(value)
    return out


def _cell(value: object) -> str:
    if value is None:
        return ""
    # A phone or house number typed into a number cell comes back as 13800000001.0.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
