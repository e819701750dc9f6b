"""CSV that is safe to open in a spreadsheet. Every CSV the portal writes goes through
`csv_writer`: a cell from user input that starts with = + - @, a tab or a carriage return
would be read by Excel or LibreOffice as a formula (`=HYPERLINK(...)` in a rider id, a
gate name or a flat's label), so such a cell gets a leading apostrophe, which spreadsheets
show as text and do not evaluate (OWASP "CSV injection"). Numbers stay numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def csv_safe(value: Any) -> Any:
    """`value` as a cell no spreadsheet evaluates: text starting like a formula gets a
    leading apostrophe; anything that is not text is left as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer's writerow/writerows with every cell passed through `csv_safe`."""

    def __init__(self, target: _Writable, **kwargs: Any) -> None:
        self._writer = csv.writer(target, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(target: _Writable, **kwargs: Any) -> SafeCsvWriter:
    """The one way the portal writes CSV (see the module's docstring)."""
    return SafeCsvWriter(target, **kwargs)
