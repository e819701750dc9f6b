"""COPY rows into a model's table with psycopg 3's `cursor.copy`, in the text format.

`TableCopy(model, ["id", "name", ...])` writes the columns given (attnames); every other
concrete column gets its Django default (callable defaults are called once: one value for
the whole load), `now` for auto_now(_add) fields, or NULL. So a column another change
adds with a default does not break the generator."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from decimal import Decimal
from typing import Any

from django.db import connection, models

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def esc(value: str) -> str:
    """Escape a free-text string for COPY's text format (callers format numbers themselves)."""
    return value.translate(_ESCAPES)


def has_column(model: type[models.Model], attname: str) -> bool:
    return any(f.attname == attname for f in model._meta.concrete_fields)


class TableCopy:
    """One COPY ... FROM STDIN into `model`'s table. `write(line)` takes the given columns
    already formatted and tab-separated (no trailing newline); the defaults are appended."""

    FLUSH = 1 << 20  # characters buffered before a write to the server

    def __init__(self, model: type[models.Model], columns: list[str], *, now: dt.datetime):
        self.model = model
        self.table = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        missing = [c for c in columns if c not in fields]
        if missing:
            raise ValueError(f"{self.table} has no column(s) {missing}")
        extra: list[tuple[str, str]] = []
        for name, field in fields.items():
            if name in columns:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value: Any = now
            elif isinstance(field, models.AutoField):
                continue
            else:
                # A declared default, "" for string fields, else None.
                value = field.get_default()
                if isinstance(value, models.Model):
                    value = value.pk
            if value is None and not field.null:
                raise ValueError(f"{self.table}.{name} needs a value (NOT NULL, no default)")
            if not isinstance(field, models.JSONField) and value is not None:
                value = field.get_db_prep_save(value, connection)
            extra.append((field.column, text(value)))
        self.columns = [fields[c].column for c in columns] + [c for c, _ in extra]
        self.suffix = "".join("\t" + v for _, v in extra) + "\n"
        self.rows = 0
        self.seconds = 0.0
        self._buffer: list[str] = []
        self._size = 0

    def __enter__(self) -> TableCopy:
        # Rows are spooled to a temporary file and sent in one COPY on exit: one connection
        # runs one COPY at a time, and phases write several tables at once.
        self._started = time.perf_counter()
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")
        return self

    def write(self, line: str) -> None:
        self._buffer.append(line)
        self._buffer.append(self.suffix)
        self._size += len(line) + len(self.suffix)
        self.rows += 1
        if self._size >= self.FLUSH:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._spool.write("".join(self._buffer))
            self._buffer = []
            self._size = 0

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._flush()
                self._spool.seek(0)
                connection.ensure_connection()
                quoted = ", ".join(connection.ops.quote_name(c) for c in self.columns)
                sql = f"COPY {connection.ops.quote_name(self.table)} ({quoted}) FROM STDIN"
                with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
                    while block := self._spool.read(self.FLUSH):
                        copy.write(block)
        finally:
            self._spool.close()
        self.seconds = time.perf_counter() - self._started


def sequence_reset(model: type[models.Model]) -> None:
    """Point the table's id sequence past its highest id (after COPY with explicit ids)."""
    pk = model._meta.pk
    if not isinstance(pk, models.AutoField):
        return
    table, column = model._meta.db_table, pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), "
            f"COALESCE((SELECT MAX({connection.ops.quote_name(column)}) FROM "
            f"{connection.ops.quote_name(table)}), 0) + 1, false)",
            [table, column],
        )
