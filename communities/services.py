"""Writes to the communities domain. Every change goes through one function here, which
validates, saves, writes an audit row and leaves follow-up work for after the commit."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from guardian.shortcuts import assign_perm

from core.audit import acting_user_or_none, audit_record

from .models import Community, DeliveryRules, EntryPolicy, PropertyCompany, StaffMembership
from .permissions import STAFF_PERMS
from .signals import rules_published

RULES_FIELDS = (
    "entry_policy",
    "handoff_point",
    "handoff_point_en",
    "x_pct",
    "y_pct",
    "ebikes_allowed_inside",
    "speed_limit_kmh",
    "rider_hours_start",
    "rider_hours_end",
    "notes",
    "notes_en",
)


def company_staff_group(company: PropertyCompany) -> Group:
    """The company's staff group, created on first use."""
    if company.staff_group_id is None:
        group, _ = Group.objects.get_or_create(name=f"company:{company.slug}:staff")
        company.staff_group = group
        company.save(update_fields=["staff_group"])
    return company.staff_group


@transaction.atomic
def company_create(
    *, name: str, slug: str, phone: str = "", acting_user: AbstractBaseUser | None
) -> PropertyCompany:
    company = PropertyCompany(name=name, slug=slug, phone=phone)
    company.full_clean()
    company.save()
    company_staff_group(company)
    audit_record(
        action="company_create", obj=company, acting_user=acting_user, after={"name": name}
    )
    return company


@transaction.atomic
def company_staff_add(
    *, company: PropertyCompany, user: AbstractBaseUser, acting_user: AbstractBaseUser | None
) -> StaffMembership:
    """Make `user` staff of `company`: admin log-in, and the company's permissions on all of
    its communities through its staff group."""
    existing = StaffMembership.objects.filter(user=user).select_related("company").first()
    if existing and existing.company_id != company.pk:
        raise ValidationError(
            f"{user} already works for {existing.company}; remove that membership first."
        )
    membership, _ = StaffMembership.objects.get_or_create(user=user, company=company)
    user.groups.add(company_staff_group(company))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_record(
        action="company_staff_add",
        obj=membership,
        acting_user=acting_user,
        after={"user": user.get_username(), "company": company.slug},
    )
    return membership


def community_grant_company_perms(community: Community) -> None:
    group = company_staff_group(community.company)
    for codename in STAFF_PERMS:
        assign_perm(f"communities.{codename}", group, community)


@transaction.atomic
def community_create(
    *,
    company: PropertyCompany,
    slug: str,
    name: str,
    acting_user: AbstractBaseUser | None,
    entry_policy: str = EntryPolicy.REGISTERED,
    handoff_point: str = "",
    **fields: Any,
) -> Community:
    """Create a community with its first rules version, and give its company's staff
    their object permissions on it."""
    community = Community(company=company, slug=slug, name=name, **fields)
    community.full_clean()
    community.save()
    community_grant_company_perms(community)
    rules_publish(
        community=community,
        acting_user=acting_user,
        entry_policy=entry_policy,
        handoff_point=handoff_point,
    )
    audit_record(
        action="community_create",
        obj=community,
        acting_user=acting_user,
        community_id=community.pk,
        after={"slug": slug, "name": name, "company": company.slug},
    )
    return community


def rules_current(community: Community) -> DeliveryRules | None:
    return DeliveryRules.objects.current_of(community)


@transaction.atomic
def rules_publish(
    *, community: Community, acting_user: AbstractBaseUser | None, **fields: Any
) -> DeliveryRules:
    """Publish a new version of the community's delivery rules. Fields not given are
    carried over from the current version, or, when the policy changes between letting
    riders in and not, from the last version of the new kind (blank if none). Raises
    ValidationError with field messages."""
    unknown = set(fields) - set(RULES_FIELDS)
    if unknown:
        raise TypeError(f"Unknown rules fields: {sorted(unknown)}")
    # Lock the community row so two publishers cannot take the same version number.
    Community.objects.select_for_update().filter(pk=community.pk).first()
    current = rules_current(community)
    values = {f: getattr(current, f) for f in RULES_FIELDS} if current else {}
    policy = fields.get("entry_policy")
    if current and policy and _riders_enter(policy) != _riders_enter(current.entry_policy):
        # Riders now enter where they did not, or the other way round: the old notes
        # ("scan the entry code, then ride in"), hours and hand-off point speak of the
        # other policy. Start from the last version that had this kind of policy (what
        # staff confirmed for it then), else from blanks; whoever publishes confirms the rest.
        values = _rules_last_of_kind(community, policy)
    values.update(fields)
    top = community.rules_versions.aggregate(top=Max("version"))["top"] or 0
    rules = DeliveryRules(
        community=community, version=top + 1, created_by=acting_user_or_none(acting_user), **values
    )
    rules.full_clean()
    rules.save()
    audit_record(
        action="rules_publish",
        obj=rules,
        acting_user=acting_user,
        community_id=community.pk,
        before={f: _jsonable(getattr(current, f)) for f in RULES_FIELDS} if current else None,
        after={f: _jsonable(getattr(rules, f)) for f in RULES_FIELDS},
    )
    # In this transaction: gate sync logs the new policy with it, or not at all.
    rules_published.send(sender=DeliveryRules, rules=rules)
    return rules


def _riders_enter(policy: str) -> bool:
    return policy != EntryPolicy.NO_ENTRY


def _rules_last_of_kind(community: Community, policy: str) -> dict[str, Any]:
    """The fields of the newest version whose policy lets riders in as `policy` does
    (nothing: the model's defaults, i.e. blank)."""
    versions = community.rules_versions.order_by("-version")
    if _riders_enter(policy):
        versions = versions.exclude(entry_policy=EntryPolicy.NO_ENTRY)
    else:
        versions = versions.filter(entry_policy=EntryPolicy.NO_ENTRY)
    last = versions.first()
    return {f: getattr(last, f) for f in RULES_FIELDS} if last else {}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, bool, float)):
        return value
    return str(value)
