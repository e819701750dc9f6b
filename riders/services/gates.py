"""Gate entry codes: the random code on a gate's poster, and its rotation."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from communities.models import Gate, GateCodeHistory, gate_entry_code_new
from core.audit import audit_record


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
    if not code or len(code) > 64:
        return None, False
    # entry_code is unique: no ordering to build or sort (every registration asks this).
    gate = next(
        iter(
            Gate.objects.select_related("community__company").filter(entry_code=code).order_by()[:1]
        ),
        None,
    )
    if gate is not None:
        return gate, False
    old = GateCodeHistory.objects.select_related("gate__community").filter(code=code).first()
    return (old.gate, True) if old else (None, False)
