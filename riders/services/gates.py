"""Gate entry codes: the random code on a gate's poster, and its rotation."""

from __future__ import annotations

import functools

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction

from communities.models import (
    Community,
    Gate,
    GateCodeHistory,
    PropertyCompany,
    gate_entry_code_new,
)
from core.audit import audit_record
from core.db import prepared_cursor, text_storable

from .rows import instance_from_row


@transaction.atomic
def gate_code_rotate(*, gate: Gate, acting_user: AbstractBaseUser | AnonymousUser | None) -> Gate:
    """Give the gate a new entry code. The old one is remembered, so a rider scanning an
    old poster is told the code was replaced (instead of "not found")."""
    old = gate.entry_code
    GateCodeHistory.objects.create(gate=gate, code=old)
    gate.entry_code = gate_entry_code_new()
    gate.save(update_fields=["entry_code"])
    audit_record(
        action="gate_code_rotate",
        obj=gate,
        acting_user=acting_user,
        community_id=gate.community_id,
        before={"code": old[:4] + "…"},
        after={"code": gate.entry_code[:4] + "…"},
    )
    return gate


def gate_for_code(code: str) -> tuple[Gate | None, bool]:
    """(gate, replaced): the gate whose current code is `code`; or the gate that used to
    have it, with replaced=True; or (None, False)."""
    if not code or len(code) > 64 or not text_storable(code):
        return None, False
    gate = _gate_with_community(code)
    if gate is not None:
        return gate, False
    old = GateCodeHistory.objects.select_related("gate__community").filter(code=code).first()
    return (old.gate, True) if old else (None, False)


# Every one-click registration and gate page asks for its gate by code. Through the ORM,
# `select_related("community__company")` cost a quarter of a registration's Python
# (compiling the query, then the three models' columns; py-spy, 2026-12-07): the
# statement is composed once per process and prepared on the server (entry_code is
# unique), and the row made into the same three instances the ORM would give.
_GATE_MODELS = (Gate, Community, PropertyCompany)


@functools.cache
def _gate_sql() -> str:
    q = connection.ops.quote_name
    aliases = ("g", "c", "o")
    columns = [
        f"{alias}.{q(f.column)}"
        for alias, model in zip(aliases, _GATE_MODELS, strict=True)
        for f in model._meta.concrete_fields
    ]
    return (
        f"SELECT {', '.join(columns)} FROM {q(Gate._meta.db_table)} g "  # noqa: S608 - names from the models, values bound
        f"JOIN {q(Community._meta.db_table)} c ON c.{q('id')} = g.{q('community_id')} "
        f"JOIN {q(PropertyCompany._meta.db_table)} o ON o.{q('id')} = c.{q('company_id')} "
        f"WHERE g.{q(Gate._meta.get_field('entry_code').column)} = %s"
    )


def _gate_with_community(code: str) -> Gate | None:
    """The gate whose current code is `code`, with its community and company (as
    `select_related("community__company")` loads them), or None."""
    cursor = prepared_cursor()
    cursor.execute(_gate_sql(), [code])
    row = cursor.fetchone()
    if row is None:
        return None
    instances = []
    start = 0
    for model in _GATE_MODELS:
        fields = model._meta.concrete_fields
        instances.append(instance_from_row(model, fields, row[start : start + len(fields)]))
        start += len(fields)
    gate, community, company = instances
    community.company = company
    gate.community = community
    return gate
