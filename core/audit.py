"""Write audit rows. Services call `audit_record` inside their transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from .models import AuditEntry


def acting_user_or_none(
    acting_user: AbstractBaseUser | AnonymousUser | None,
) -> AbstractBaseUser | None:
    """The user to store as the one who acted: None for anonymous or system changes."""
    if acting_user is not None and getattr(acting_user, "is_authenticated", False):
        return acting_user
    return None


def audit_record(
    *,
    action: str,
    obj: models.Model,
    acting_user: AbstractBaseUser | AnonymousUser | None,
    community_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=acting_user_or_none(acting_user),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        community_id=community_id,
        before=before,
        after=after,
    )
