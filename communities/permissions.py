"""Who may see or change which community. django-guardian object permissions underneath:
a property company's staff group holds view/change/guard/manage permissions on each of
the company's communities. Missing and forbidden look the same (404)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from .models import Community

User = AbstractBaseUser | AnonymousUser

VIEW = "communities.view_community"
CHANGE = "communities.change_community"
GUARD = "communities.guard_community"
MANAGE_RIDERS = "communities.manage_riders"

#: What a company's staff group holds on each of its communities.
STAFF_PERMS = ("view_community", "change_community", "guard_community", "manage_riders")


def communities_for_user(user: User, *, perm: str = VIEW) -> QuerySet[Community]:
    """The communities `user` holds `perm` on (superusers: all)."""
    if not user.is_authenticated or not user.is_active:
        return Community.objects.none()
    return get_objects_for_user(
        user, perm, klass=Community, accept_global_perms=False, with_superuser=True
    )


def get_community_for_user(user: User, slug: str, *, perm: str = VIEW) -> Community:
    """The community `slug` if `user` holds `perm` on it; otherwise 404, as if missing."""
    try:
        return communities_for_user(user, perm=perm).get(slug=slug)
    except Community.DoesNotExist as exc:
        raise Http404("No such community") from exc


def user_has_community_perm(user: User, community: Community, *, perm: str = VIEW) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.has_perm(perm, community)
