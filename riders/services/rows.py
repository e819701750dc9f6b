"""Model values from raw SQL rows, for the hot paths that skip the ORM's query building
(a scan, a one-click registration): each field's database converters are looked up once
per process (they depend on the backend and the field, not on the row)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import DEFERRED


@functools.cache
def _converters(field: models.Field) -> tuple[Any, tuple[Any, ...]]:
    column = field.get_col(field.model._meta.db_table)
    return column, (*connection.ops.get_db_converters(column), *field.get_db_converters(connection))


def value_from_db(value: Any, field: models.Field) -> Any:
    """`value` as the ORM would load it into `field`."""
    column, converters = _converters(field)
    for convert in converters:
        value = convert(value, column, connection)
    return value


def instance_from_row(
    model: type[models.Model], fields: Sequence[models.Field], raw: Sequence[Any]
) -> models.Model:
    """An instance of `model` as the ORM would load it, from `raw`: the database values of
    `fields` (a slice of a row); the model's other fields are deferred."""
    given = {f.attname: value_from_db(v, f) for f, v in zip(fields, raw, strict=True)}
    values = [given.get(f.attname, DEFERRED) for f in model._meta.concrete_fields]
    return model.from_db(connection.alias, list(given), values)
