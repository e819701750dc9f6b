"""Audit rows for plain admin writes: who, when, and the changed concrete fields before and
after. Writes that go through a service (grants, resolutions, rules, community creation)
are audited there; this covers the admin's own saves, deletes and inline rows.

Secrets (a controller's `secret`, anything named like a password or key) are never
written: the row says "changed". Phones are written masked.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.http import HttpRequest

from core.audit import audit_record
from core.masking import mask_phone

SECRET_FIELDS = frozenset({"secret", "password", "private_pem", "api_key", "token"})
SECRET_CHANGED = "changed"  # noqa: S105 - a label, not a secret
SECRET_KEPT = "(hidden)"  # noqa: S105 - a label for the value before, never written either


def _jsonable(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _audited_fields(obj: Model) -> list:
    # Timestamps the database keeps itself (auto_now) would make every save a change.
    return [
        f
        for f in obj._meta.concrete_fields
        if not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
    ]


def model_snapshot(obj: Model) -> dict[str, Any]:
    """The object's concrete fields as JSON values (foreign keys as ids), without its
    automatic timestamps. Many-to-many fields are left out: each would cost a query."""
    fields = _audited_fields(obj)
    data = model_to_dict(obj, fields=[f.name for f in fields])
    # model_to_dict skips non-editable fields; read those directly.
    for f in fields:
        if f.name not in data:
            data[f.name] = getattr(obj, f.attname)
    return {name: _jsonable(value) for name, value in data.items()}


def model_diff(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose values differ, on both sides, with secrets replaced by a word
    and phones masked. A missing side (add, delete) lists every field."""
    before = before or {}
    after = after or {}
    names = [n for n in {**before, **after} if before.get(n) != after.get(n)]
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for name in names:
        if name in SECRET_FIELDS:
            if name in before:
                old[name] = SECRET_KEPT
            if name in after:
                new[name] = SECRET_CHANGED
            continue
        if name in before:
            old[name] = _redact(name, before[name])
        if name in after:
            new[name] = _redact(name, after[name])
    return old, new


def _redact(name: str, value: Any) -> Any:
    if "phone" in name and isinstance(value, str):
        return mask_phone(value)
    return value


def audit_admin_change(
    request: HttpRequest,
    *,
    obj: Model,
    action: str,
    community_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """One audit row `<model>_<action>` (add, change, delete) with the diff of `before`
    and `after` snapshots. A change that changed nothing writes nothing."""
    old, new = model_diff(before, after)
    if action == "change" and not old and not new:
        return
    audit_record(
        action=f"{obj._meta.model_name}_{action}",
        obj=obj,
        acting_user=request.user,
        community_id=community_id,
        before=old or None,
        after=new or None,
    )


class AdminAuditMixin:
    """Put first in a ModelAdmin's bases: saves, deletes (one or many) and inline rows
    write an audit row each with who and the changed fields before and after.

    The row before a change is read from the database (one query per save), not from the
    form, so fields a `save_model` sets itself are caught too."""

    def audit_community_id(self, obj: Model) -> int | None:
        """The community an object belongs to, for the audit row (None if not one)."""
        community_of = getattr(self, "_community_id_of", None)
        if community_of is not None:
            try:
                return community_of(obj)
            except (AttributeError, NotImplementedError):
                return None
        return getattr(obj, "community_id", None)

    def _stored(self, obj: Model) -> dict[str, Any] | None:
        if obj.pk is None:
            return None
        stored = type(obj)._default_manager.filter(pk=obj.pk).first()
        return model_snapshot(stored) if stored is not None else None

    def save_model(self, request, obj, form, change):
        before = self._stored(obj) if change else None
        super().save_model(request, obj, form, change)
        audit_admin_change(
            request,
            obj=obj,
            action="change" if before is not None else "add",
            community_id=self.audit_community_id(obj),
            before=before,
            after=model_snapshot(obj),
        )

    def _audit_delete(self, request, obj, *, community_id=None, before=None) -> None:
        audit_admin_change(
            request,
            obj=obj,
            action="delete",
            community_id=community_id or self.audit_community_id(obj),
            before=before or model_snapshot(obj),
            after=None,
        )

    def delete_model(self, request, obj):
        self._audit_delete(request, obj)
        super().delete_model(request, obj)

    def audit_queryset(self, queryset):
        """The rows a bulk delete audits; override to select what `audit_community_id`
        reads."""
        return queryset

    def delete_queryset(self, request, queryset):
        for obj in self.audit_queryset(queryset):
            self._audit_delete(request, obj)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        deleted = [f.instance for f in formset.deleted_forms if f.instance.pk is not None]
        changed_pks = [
            f.instance.pk
            for f in formset.initial_forms
            if f.instance.pk is not None and f.has_changed()
        ]
        # The rows as stored: the forms have already written their input into instances.
        stored = {
            pk: model_snapshot(row)
            for pk, row in formset.model._default_manager.in_bulk(
                changed_pks + [obj.pk for obj in deleted]
            ).items()
        }
        community_id = self.audit_community_id(form.instance)
        # Deleting clears an object's pk: write these rows first (the admin's transaction
        # drops them too if the save fails).
        for obj in deleted:
            self._audit_delete(request, obj, community_id=community_id, before=stored.get(obj.pk))
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit_admin_change(
                request,
                obj=obj,
                action="add",
                community_id=community_id,
                before=None,
                after=model_snapshot(obj),
            )
        for obj, _fields in formset.changed_objects:
            audit_admin_change(
                request,
                obj=obj,
                action="change",
                community_id=community_id,
                before=stored.get(obj.pk),
                after=model_snapshot(obj),
            )
