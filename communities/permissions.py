"""Who may see or change which community, and what is inside it. django-guardian object
permissions underneath: a property company's staff group holds view/change/guard/manage
permissions on each of the company's communities.

One helper per object, `<object>_for_user(user, key, *, perm)`: the object if `user` holds
`perm` on its community, otherwise `Http404` — looked up in the user's own objects only,
so another company's object raises exactly what a key that does not exist raises, and
ids and slugs cannot be probed. Lists take the
queryset form, `<objects>_for_user(user, *, perm)`. Objects of other apps have theirs in
that app's `permissions.py`, built on these.

The admin asks the same question for every row and inline of a page:
`request_is_company_staff` and `request_has_community_perm` answer it once per request."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Model, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from guardian.models import GroupObjectPermission, UserObjectPermission

from .models import Community, Gate, GateController, StaffMembership

User = AbstractBaseUser | AnonymousUser

ModelT = TypeVar("ModelT", bound=Model)

VIEW = "communities.view_community"
CHANGE = "communities.change_community"
GUARD = "communities.guard_community"
MANAGE_RIDERS = "communities.manage_riders"

#: What a company's staff group holds on each of its communities.
STAFF_PERMS = ("view_community", "change_community", "guard_community", "manage_riders")


def communities_for_user(user: User, *, perm: str = VIEW) -> QuerySet[Community]:
    """The communities `user` holds `perm` on, itself or through a group (superusers: all).

    The same answer as guardian's `get_objects_for_user(user, perm, klass=Community,
    accept_global_perms=False)`, read from guardian's own tables, but shaped so PostgreSQL
    can use the primary key: guardian compares `community.id::varchar` with `object_pk`
    under an OR, which reads every community (10,000 on the scale data, 4 ms, twice per
    dashboard page). Here the user's few permission rows are cast to integers and united,
    and the communities are fetched by primary key (docs/scaling.md)."""
    if not user.is_authenticated or not user.is_active:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    app_label, _, codename = perm.rpartition(".")
    if app_label not in ("", Community._meta.app_label):
        raise ValueError(f"{perm!r} is not a permission on communities")
    ctype = ContentType.objects.get_for_model(Community)  # cached per process
    where = {
        "content_type": ctype,
        "permission__content_type": ctype,
        "permission__codename": codename,
    }
    own, via_groups = (
        rows.annotate(community_id=Cast("object_pk", BigIntegerField())).values("community_id")
        for rows in (
            UserObjectPermission.objects.filter(user=user, **where),
            GroupObjectPermission.objects.filter(group__user=user, **where),
        )
    )
    return Community.objects.filter(pk__in=own.union(via_groups, all=True))


def community_for_user(user: User, key: str | int, *, perm: str = VIEW) -> Community:
    """The community with slug `key` (a str, as in the staff pages' URLs) or primary key
    `key` (an int, as in the admin's) if `user` holds `perm` on it; otherwise 404."""
    lookup = {"pk": key} if isinstance(key, int) else {"slug": key}
    return get_object_or_404(communities_for_user(user, perm=perm), **lookup)


def user_has_community_perm(user: User, community: Community, *, perm: str = VIEW) -> bool:
    """Whether `user` holds `perm` on a community already in hand (one guardian check;
    `request_has_community_perm` remembers the answer for the rest of the request)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.has_perm(perm, community)


def gates_for_user(user: User, *, perm: str = VIEW) -> QuerySet[Gate]:
    """The gates of the communities `user` holds `perm` on, each with its community."""
    return Gate.objects.select_related("community").filter(
        community__in=communities_for_user(user, perm=perm)
    )


def gate_for_user(user: User, key: str | int, *, perm: str = VIEW) -> Gate:
    """The gate with entry code `key` (a str: the guard console's /guard/<code>/) or
    primary key `key` (an int: the posters' /staff/gates/<id>/) if `user` holds `perm` on
    its community; otherwise 404. The community comes with it (one query)."""
    lookup = {"pk": key} if isinstance(key, int) else {"entry_code": key}
    return get_object_or_404(gates_for_user(user, perm=perm), **lookup)


def community_object_for_user(
    queryset: QuerySet[ModelT],
    user: User,
    slug: str,
    pk: int,
    *,
    perm: str = VIEW,
    via: str = "community",
) -> ModelT:
    """Row `pk` of `queryset` whose community (reached by the path `via`) has slug `slug`
    and on which `user` holds `perm`; otherwise the Http404 of a missing row (also for
    another community's row under this slug). The community comes with it (one query).
    Every app's `<object>_for_user` for an object that belongs to a community is this."""
    return get_object_or_404(
        queryset.select_related(via).filter(
            **{f"{via}__in": communities_for_user(user, perm=perm)}
        ),
        **{f"{via}__slug": slug},
        pk=pk,
    )


def controller_for_user(user: User, slug: str, pk: int, *, perm: str = VIEW) -> GateController:
    """Gate controller `pk` of the community with slug `slug` if `user` holds `perm` on
    that community; otherwise 404 (also for another community's controller under this
    slug). Its gate and community come with it (one query)."""
    return community_object_for_user(
        GateController.objects.all(), user, slug, pk, perm=perm, via="gate__community"
    )


def request_is_company_staff(request: HttpRequest) -> bool:
    """Whether the request's user may enter the admin's community pages: an active staff
    user who is a superuser or a member of a property company's staff (what they see
    there is still scoped by community). Memoised on the request: the admin asks once per
    model and inline on every page."""
    cached = getattr(request, "_last100_company_staff", None)
    if cached is None:
        user = request.user
        cached = bool(user.is_active and user.is_staff) and (
            user.is_superuser or StaffMembership.objects.filter(user=user).exists()
        )
        request._last100_company_staff = cached  # type: ignore[attr-defined]
    return cached


def request_has_community_perm(request: HttpRequest, community: Community, *, perm: str) -> bool:
    """`user_has_community_perm` for the request's user, memoised per request and
    community (guardian would query again for every inline and every row)."""
    memo = request.__dict__.setdefault("_last100_perms", {})
    key = (community.pk, perm)
    if key not in memo:
        memo[key] = user_has_community_perm(request.user, community, perm=perm)
    return memo[key]
