"""Owners and what they own."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from communities.models import Unit
from core.audit import audit_record
from core.users import ActingUser as User

from ..models import Owner, Ownership


@transaction.atomic
def owner_create(
    *, name: str, phone: str = "", user: AbstractBaseUser | None = None, acting_user: User
) -> Owner:
    owner = Owner(name=name.strip(), phone=phone.strip(), user=user)
    owner.full_clean()
    owner.save()
    audit_record(action="owner_create", obj=owner, acting_user=acting_user, after={"name": name})
    return owner


@transaction.atomic
def ownership_add(
    *, unit: Unit, owner: Owner, developer_held: bool = False, acting_user: User
) -> Ownership:
    """Record that `owner` holds `unit` (idempotent)."""
    ownership, created = Ownership.objects.get_or_create(
        unit=unit, owner=owner, defaults={"developer_held": developer_held}
    )
    if not created and ownership.developer_held != developer_held:
        ownership.developer_held = developer_held
        ownership.save(update_fields=["developer_held"])
    audit_record(
        action="ownership_add",
        obj=ownership,
        acting_user=acting_user,
        community_id=unit.building.community_id,
        after={"unit": unit.pk, "owner": owner.pk, "developer_held": developer_held},
    )
    return ownership
