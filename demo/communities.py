"""Demo data for the communities domain: the companies, communities (with their rules,
site maps and places) and log-ins of demo/specs.py. `seed()` is idempotent: a second run
finds every row and changes nothing that matters (rows are matched by slug, number or
name, never duplicated).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from guardian.shortcuts import assign_perm

from communities import services
from communities.models import Community, PropertyCompany
from core.audit import audit_record

from .places import places_ensure
from .sitemap import site_map_ensure
from .specs import COMMUNITIES, COMPANIES, USERS, CommunitySpec, UserSpec


def _company_ensure(slug: str, name: str, phone: str) -> PropertyCompany:
    company = PropertyCompany.objects.filter(slug=slug).first()
    if company is None:
        return services.company_create(name=name, slug=slug, phone=phone, acting_user=None)
    services.company_staff_group(company)
    return company


def _user_ensure(spec: UserSpec) -> AbstractBaseUser:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=spec.username,
        defaults={"is_staff": True, "is_superuser": spec.superuser},
    )
    changed = []
    if spec.superuser and not (user.is_superuser and user.is_staff):
        user.is_superuser = user.is_staff = True
        changed += ["is_superuser", "is_staff"]
    if spec.guard_of and not user.is_staff:
        user.is_staff = True  # the log-in page is the admin's, which needs is_staff
        changed.append("is_staff")
    if not user.is_active:
        user.is_active = True
        changed.append("is_active")
    if created or not user.check_password(spec.password):
        user.set_password(spec.password)
        changed.append("password")
    if changed:
        user.save(update_fields=None if created else changed)
    return user


def _rules_ensure(community: Community, wanted: dict[str, Any]) -> None:
    """Publish a new rules version only when the current one differs from the demo's."""
    current = services.rules_current(community)
    if current is not None and all(
        getattr(current, name) == value for name, value in wanted.items()
    ):
        return
    services.rules_publish(community=community, acting_user=None, **wanted)


def _community_ensure(spec: CommunitySpec, company: PropertyCompany) -> Community:
    fields = {
        "address": spec.address,
        "city": spec.city,
        "district": spec.district,
        "office_phone": spec.office_phone,
        "office_location": spec.office_location,
    }
    community = Community.objects.filter(slug=spec.slug).first()
    if community is None:
        community = services.community_create(
            company=company,
            slug=spec.slug,
            name=spec.name,
            acting_user=None,
            entry_policy=spec.rules["entry_policy"],
            handoff_point=spec.rules.get("handoff_point", ""),
            **fields,
        )
    elif any(getattr(community, k) != v for k, v in {**fields, "name": spec.name}.items()):
        for key, value in {**fields, "name": spec.name}.items():
            setattr(community, key, value)
        community.save()
    _rules_ensure(community, spec.rules)
    return community


def _guard_ensure(user: AbstractBaseUser, company: PropertyCompany) -> None:
    """A guard holds only `guard_community` on the company's communities, not the rest of
    the staff permissions. Guardian's assign_perm is idempotent."""
    for community in company.communities.all():
        if not user.has_perm("communities.guard_community", community):
            assign_perm("communities.guard_community", user, community)
            audit_record(
                action="community_guard_add",
                obj=community,
                acting_user=None,
                community_id=community.pk,
                after={"user": user.get_username(), "perm": "guard_community"},
            )


@transaction.atomic
def seed() -> list[str]:
    """Create or complete the demo data; return lines for the command to print."""
    companies = {c["slug"]: _company_ensure(**c) for c in COMPANIES}
    communities: list[tuple[Community, dict[str, int]]] = []
    for spec in COMMUNITIES:
        community = _community_ensure(spec, companies[spec.company])
        site_map_ensure(community, spec)
        communities.append((community, places_ensure(community, spec)))

    users = []
    for spec in USERS:
        user = _user_ensure(spec)
        if spec.company:
            company = companies[spec.company]
            membership = getattr(user, "staff_membership", None)
            if membership is None or membership.company_id != company.pk:
                services.company_staff_add(company=company, user=user, acting_user=None)
        if spec.guard_of:
            _guard_ensure(user, companies[spec.guard_of])
        users.append(spec)

    lines = ["Communities:"]
    for community, counts in communities:
        rules = services.rules_current(community)
        lines.append(
            f"  {community.slug:<14} {community.name}  [{rules.entry_policy}]  "
            f"{counts['buildings']} buildings, {counts['units']} units"
        )
    lines.append("Log-ins (user / password):")
    lines += [f"  {u.username:<12} / {u.password:<14} {u.role}" for u in users]
    return lines


def demo_credentials() -> list[tuple[str, str, str]]:
    """(user name, password, role) of every demo log-in."""
    return [(u.username, u.password, u.role) for u in USERS]
