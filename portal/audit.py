"""Write audit rows. Services call `audit_record` inside their transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from .models import AuditEntry


def audit_record(
    *,
    action: str,
    obj: models.Model,
    acting_user: AbstractBaseUser | AnonymousUser | None,
    community_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    actor = acting_user if acting_user is not None and acting_user.is_authenticated else None
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        community_id=community_id,
        before=before,
        after=after,
    )
