"""The access-control matrix (issue #7 item 1): for every URL pattern of the portal, who
gets through and that everyone else is refused: with a session, at a URL that names an
object (an id, slug, entry code or token in its path), by the 404 a missing object gets
(issue #22: missing and forbidden look the same); elsewhere by 403 or 404; without a
session, possibly by the log-in page. A URL pattern missing from the table fails
`test_every_url_pattern_is_in_the_table`, so a new URL cannot ship without saying who may
use it. docs/security-matrix.md explains the roles and how to add a row."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from .conftest import ADMIN_STAFF, EVERYONE, NOT_LOGGED_IN, ROLES, RoleClient, World

pytestmark = pytest.mark.django_db

LOGGED_IN_STAFF = frozenset({"guard", "staff_here", "staff_there", "street_office"})
#: Pages any session gets, listing only the user's own things: a street office's member
#: (staff of no company) gets them empty (`hidden_from` checks what they must not see).
ANY_SESSION = LOGGED_IN_STAFF | {"owner_here", "owner_there", "street_office"}
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Row:
    """Who may use one URL pattern. `allowed` get 2xx/3xx (a 3xx that is not the log-in
    page); everyone else is refused (`_verdict`): 404 for a session at a URL naming an
    object, else 403/404 or a redirect to a log-in page when they have no session.
    `also_ok` adds statuses an allowed role may get (a form sent empty: 400); `denied_as`
    adds statuses a refused role may get (the platform API answers an unsigned request
    with 400)."""

    url: Callable[[World], str]
    allowed: frozenset[str]
    method: str = "get"
    data: Callable[[World], Any] | None = None
    content_type: str | None = None
    also_ok: frozenset[int] = frozenset()
    denied_as: frozenset[int] = frozenset()
    hidden_from: dict[str, Callable[[World], str]] = field(default_factory=dict)


def _slug(w: World) -> str:
    return w.community.slug


def _app_list_key() -> str:
    """The admin's app index pattern names every app with a registered model."""
    return next(k for k in walk(get_resolver().url_patterns) if "(?P<app_label>" in k)


def _content_type_id(label: str) -> int:
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(apps.get_model(label)).pk


def _rider_photo_link(w: World) -> str:
    """A signed link to the world's rider's photo (saved on first use)."""
    if not w.rider.photo:
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), "green").save(buffer, "PNG")
        w.rider.photo = SimpleUploadedFile("face.png", buffer.getvalue(), "image/png")
        w.rider.save(update_fields=["photo"])
    return w.rider.photo.url


def _poll(w: World) -> Any:
    """An owners' poll of this community (created inside the cell's rolled-back savepoint)."""
    import datetime as dt

    from django.utils import timezone

    from coordination.services import poll_create

    return poll_create(
        community=w.community,
        audience="owners",
        question="A food cabinet?",
        closes_at=timezone.now() + dt.timedelta(days=7),
        acting_user=None,
    )


def _action(w: World) -> Any:
    """A decision of a meeting of this community."""
    import datetime as dt

    from django.utils import timezone

    from coordination.services import action_item_create, meeting_schedule

    meeting = meeting_schedule(
        community=w.community,
        title="Coordination",
        scheduled_at=timezone.now() - dt.timedelta(days=1),
        acting_user=None,
    )
    return action_item_create(
        meeting=meeting,
        title="Paint house numbers",
        owner_name="Office",
        owner_side="staff",
        due_on=timezone.localdate(),
        acting_user=None,
    )


STAFF_HERE = frozenset({"staff_here"})
GUARDS = frozenset({"guard", "staff_here"})
OWNER_HERE = frozenset({"owner_here"})


def walk(patterns: list, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


APP_LIST_KEY = _app_list_key()
NOT_RIDER = {role: (lambda w: w.rider.name) for role in ROLES if role != "rider"}
NOT_OWNER_HERE = {role: (lambda w: w.resolution.title) for role in ROLES if role != "owner_here"}

TABLE: dict[str, Row] = {
    # --- public pages and API ---------------------------------------------------------
    "": Row(lambda w: "/", EVERYONE),
    "c/<slug:slug>/": Row(lambda w: f"/c/{_slug(w)}/", EVERYONE),
    "c/<slug:slug>/find": Row(
        # 404 is this JSON's "no such building" answer, the same for everyone.
        lambda w: f"/c/{_slug(w)}/find?q=1-101",
        EVERYONE,
        also_ok=frozenset({404}),
    ),
    # Anyone learns ok/degraded; which backends run, only staff (issue #16 finding 12).
    "healthz": Row(
        lambda w: "/healthz",
        EVERYONE,
        hidden_from={role: (lambda w: "backend") for role in ROLES if role not in LOGGED_IN_STAFF},
    ),
    "favicon.ico": Row(lambda w: "/favicon.ico", EVERYONE),
    # A signed photo link is a capability: only pages already checked hand it out (the
    # rider's pass, the guard console, staff pages), and it expires after 15 minutes;
    # tampered, unsigned and expired links are 404 (portal/tests/test_private_media.py).
    "media-p/<path:signed>": Row(_rider_photo_link, EVERYONE),
    "i18n/setlang/": Row(
        lambda w: "/i18n/setlang/", EVERYONE, method="post", data=lambda w: {"language": "en"}
    ),
    "lang/<str:code>/": Row(lambda w: "/lang/en/", EVERYONE),
    "api/v1/communities/": Row(lambda w: "/api/v1/communities/", EVERYONE),
    "api/v1/communities/<slug:slug>/": Row(lambda w: f"/api/v1/communities/{_slug(w)}/", EVERYONE),
    "api/v1/keys": Row(lambda w: "/api/v1/keys", EVERYONE),
    "api/schema/": Row(lambda w: "/api/schema/", EVERYONE),
    "api/docs/": Row(lambda w: "/api/docs/", EVERYONE),
    "r/<str:code>/": Row(lambda w: f"/r/{w.gate.entry_code}/", EVERYONE),
    "vote/login/": Row(lambda w: "/vote/login/", EVERYONE),
    "vote/logout/": Row(lambda w: "/vote/logout/", EVERYONE, method="post"),
    "vote/login/phone/": Row(lambda w: "/vote/login/phone/", EVERYONE),
    "vote/login/code/": Row(lambda w: "/vote/login/code/", EVERYONE),
    "vote/invite/<str:token>/": Row(
        lambda w: f"/vote/invite/{w.invite_token}/", EVERYONE, also_ok=frozenset({400})
    ),
    "vote/feedback/<slug:slug>/": Row(lambda w: f"/vote/feedback/{_slug(w)}/", EVERYONE),
    "vote/feedback/status/<str:token>/": Row(
        lambda w: f"/vote/feedback/status/{w.feedback.token}/", EVERYONE
    ),
    "vote/<int:pk>/result": Row(lambda w: f"/vote/{w.closed_resolution.pk}/result", EVERYONE),
    "vote/<int:pk>/result/<str:which>.csv": Row(
        lambda w: f"/vote/{w.closed_resolution.pk}/result/receipts.csv", EVERYONE
    ),
    # --- the rider's browser ----------------------------------------------------------
    # Anyone gets the page ("this phone holds no pass"); only the rider sees the rider.
    "pass/": Row(lambda w: "/pass/", EVERYONE, hidden_from=NOT_RIDER),
    "pass/tokens": Row(lambda w: "/pass/tokens", frozenset({"rider"})),
    "pass/my-data/": Row(lambda w: "/pass/my-data/", frozenset({"rider"})),
    # The rider's own device; another rider's is a 404 (test_identity_objects.py).
    "pass/my-data/devices/<int:device_id>/remove": Row(
        lambda w: f"/pass/my-data/devices/{w.rider.devices.order_by('pk').first().pk}/remove",
        frozenset({"rider"}),
        method="post",
    ),
    "pass/my-data/erase": Row(
        lambda w: "/pass/my-data/erase",
        frozenset({"rider"}),
        method="post",
        also_ok=frozenset({400}),
    ),
    # --- owners -----------------------------------------------------------------------
    # Any session gets the page; only owners here see this community's resolutions.
    "vote/": Row(
        lambda w: "/vote/",
        ANY_SESSION,
        hidden_from=NOT_OWNER_HERE,
    ),
    "vote/<int:pk>/": Row(lambda w: f"/vote/{w.resolution.pk}/", OWNER_HERE),
    "vote/<int:pk>/cast": Row(
        lambda w: f"/vote/{w.resolution.pk}/cast",
        OWNER_HERE,
        method="post",
        data=lambda w: {"choice": "against"},
    ),
    "vote/<int:pk>/participation.json": Row(
        lambda w: f"/vote/{w.resolution.pk}/participation.json", OWNER_HERE
    ),
    # --- staff pages (this company's staff only) --------------------------------------
    "vote/staff/<slug:slug>/": Row(lambda w: f"/vote/staff/{_slug(w)}/", STAFF_HERE),
    "vote/staff/<slug:slug>/roll/": Row(lambda w: f"/vote/staff/{_slug(w)}/roll/", STAFF_HERE),
    "vote/staff/<slug:slug>/feedback/": Row(
        lambda w: f"/vote/staff/{_slug(w)}/feedback/", STAFF_HERE
    ),
    "vote/staff/<slug:slug>/feedback/<int:pk>/": Row(
        lambda w: f"/vote/staff/{_slug(w)}/feedback/{w.feedback.pk}/",
        STAFF_HERE,
        method="post",
        data=lambda w: {"status": "in_progress", "reply": "On it."},
        also_ok=frozenset({400}),
    ),
    "vote/staff/<slug:slug>/notices/": Row(
        lambda w: f"/vote/staff/{_slug(w)}/notices/", STAFF_HERE
    ),
    "vote/staff/<slug:slug>/<int:pk>/": Row(
        lambda w: f"/vote/staff/{_slug(w)}/{w.resolution.pk}/", STAFF_HERE
    ),
    "vote/staff/<slug:slug>/<int:pk>/ballots.csv": Row(
        lambda w: f"/vote/staff/{_slug(w)}/{w.closed_resolution.pk}/ballots.csv", STAFF_HERE
    ),
    **{
        f"vote/staff/<slug:slug>/<int:pk>/{action}": Row(
            (lambda a: lambda w: f"/vote/staff/{_slug(w)}/{w.resolution.pk}/{a}")(action),
            STAFF_HERE,
            method="post",
            also_ok=frozenset({400}),
        )
        for action in ("open", "close", "handoff")
    },
    "staff/": Row(
        lambda w: "/staff/",
        ANY_SESSION,
        hidden_from={
            role: (lambda w: w.community.name) for role in ("staff_there", "street_office")
        },
    ),
    "staff/c/<slug:slug>/": Row(lambda w: f"/staff/c/{_slug(w)}/", STAFF_HERE),
    "staff/c/<slug:slug>/events.csv": Row(lambda w: f"/staff/c/{_slug(w)}/events.csv", STAFF_HERE),
    "staff/c/<slug:slug>/controllers/<int:controller_id>/sync": Row(
        lambda w: f"/staff/c/{_slug(w)}/controllers/{w.controller.pk}/sync",
        STAFF_HERE,
        method="post",
    ),
    "staff/riders/<int:rider_id>/history": Row(
        lambda w: f"/staff/riders/{w.rider.pk}/history", STAFF_HERE
    ),
    "staff/gates/<int:gate_id>/rotate": Row(
        lambda w: f"/staff/gates/{w.gate.pk}/rotate", STAFF_HERE, method="post"
    ),
    "staff/gates/<int:gate_id>/poster.<str:fmt>": Row(
        lambda w: f"/staff/gates/{w.gate.pk}/poster.png", STAFF_HERE
    ),
    "staff/gates/posters.zip": Row(
        lambda w: f"/staff/gates/posters.zip?ids={w.gate.pk}", STAFF_HERE
    ),
    "staff/riders/": Row(
        lambda w: "/staff/riders/",
        ANY_SESSION,
        hidden_from={role: (lambda w: w.rider.name) for role in ("staff_there", "street_office")},
    ),
    "staff/riders/<int:rider_id>/": Row(lambda w: f"/staff/riders/{w.rider.pk}/", STAFF_HERE),
    # Bulk actions on the riders' queue: any grant outside your communities is a 404.
    "staff/riders/bulk": Row(
        lambda w: "/staff/riders/bulk",
        STAFF_HERE,
        method="post",
        data=lambda w: {"action": "suspend", "grant": w.grant.pk, "bulk-reason": "Lost phone"},
    ),
    # The staff navigation's Votes / Feedback: your communities' pages, nobody else's.
    "staff/go/<str:what>/": Row(
        lambda w: "/staff/go/votes/",
        ANY_SESSION,
        hidden_from={
            role: (lambda w: w.community.name) for role in ("staff_there", "street_office")
        },
    ),
    "staff/riders/<int:rider_id>/grants/<int:grant_id>/<str:action>": Row(
        lambda w: f"/staff/riders/{w.rider.pk}/grants/{w.grant.pk}/suspend",
        STAFF_HERE,
        method="post",
        data=lambda w: {f"g{w.grant.pk}-reason": "Lost phone"},
        also_ok=frozenset({400}),
    ),
    # --- guards -----------------------------------------------------------------------
    "guard/login/": Row(lambda w: "/guard/login/", EVERYONE),
    "guard/logout/": Row(lambda w: "/guard/logout/", EVERYONE, method="post"),
    # The gates you guard; anyone logged in gets the page, listing only their own gates.
    "guard/": Row(
        lambda w: "/guard/",
        ANY_SESSION,
        hidden_from={
            role: (lambda w: w.gate.entry_code)
            for role in ("staff_there", "owner_here", "owner_there", "street_office")
        },
    ),
    "guard/<str:code>/": Row(lambda w: f"/guard/{w.gate.entry_code}/", GUARDS),
    "guard/<str:code>/events": Row(lambda w: f"/guard/{w.gate.entry_code}/events", GUARDS),
    "api/v1/gates/verify": Row(
        lambda w: "/api/v1/gates/verify",
        GUARDS | {"controller"},
        method="post",
        data=lambda w: {"token": "not-a-pass", "gate": w.gate.entry_code, "direction": "in"},
        content_type="application/json",
    ),
    # --- machines ---------------------------------------------------------------------
    "api/v1/platform/riders/<str:platform_rider_id>/deactivate": Row(
        lambda w: f"/api/v1/platform/riders/{w.rider.platform_rider_id}/deactivate",
        frozenset({"platform"}),
        method="post",
        denied_as=frozenset({400}),  # unsigned or wrongly signed: "Request refused."
    ),
    "api/v1/gates/heartbeat": Row(
        lambda w: "/api/v1/gates/heartbeat",
        frozenset({"controller"}),
        method="post",
        # v2: a sequence above the last heartbeat's (each role's call is a new one).
        data=lambda w: {"version": 0, "seq": time.time_ns() // 1000, "digest": "0" * 64},
        content_type="application/json",
    ),
    "api/v1/gates/events": Row(
        lambda w: "/api/v1/gates/events",
        frozenset({"controller"}),
        method="post",
        data=lambda w: {"events": []},
        content_type="application/json",
    ),
    "api/v1/gates/sync": Row(lambda w: "/api/v1/gates/sync?since=0", frozenset({"controller"})),
    # --- coordination (docs/coordination.md) -------------------------------------------
    "c/<slug:slug>/agreed/": Row(lambda w: f"/c/{_slug(w)}/agreed/", EVERYONE),
    "c/<slug:slug>/friendliness/": Row(lambda w: f"/c/{_slug(w)}/friendliness/", EVERYONE),
    # Anyone sees a poll and its counts; only owners here (or riders) may answer.
    "coordination/polls/<int:pk>/": Row(lambda w: f"/coordination/polls/{_poll(w).pk}/", EVERYONE),
    # Street offices: their district's ranking and index pages (every company's
    # communities there); nobody else, not even staff (docs/coordination.md).
    "coordination/office/": Row(
        lambda w: "/coordination/office/",
        frozenset({"street_office"}),
        hidden_from={"street_office": lambda w: w.other_community.name},
    ),
    "coordination/office/<slug:slug>/": Row(
        lambda w: f"/coordination/office/{_slug(w)}/", frozenset({"street_office"})
    ),
    "coordination/staff/": Row(
        lambda w: "/coordination/staff/",
        ANY_SESSION,
        hidden_from={
            role: (lambda w: w.community.name) for role in ("staff_there", "street_office")
        },
    ),
    "coordination/staff/<slug:slug>/": Row(
        lambda w: f"/coordination/staff/{_slug(w)}/", STAFF_HERE
    ),
    "coordination/staff/<slug:slug>/meetings/<int:pk>/": Row(
        lambda w: f"/coordination/staff/{_slug(w)}/meetings/{_action(w).meeting_id}/", STAFF_HERE
    ),
    "coordination/staff/<slug:slug>/actions/<int:pk>/status": Row(
        lambda w: f"/coordination/staff/{_slug(w)}/actions/{_action(w).pk}/status",
        STAFF_HERE,
        method="post",
        data=lambda w: {"status": "in_progress"},
    ),
    "coordination/staff/<slug:slug>/polls/<int:pk>/attach": Row(
        lambda w: f"/coordination/staff/{_slug(w)}/polls/{_poll(w).pk}/attach",
        STAFF_HERE,
        method="post",
        data=lambda w: {"resolution": str(w.resolution.number)},
    ),
    "api/v1/communities/<slug:slug>/delivery-info": Row(
        lambda w: f"/api/v1/communities/{_slug(w)}/delivery-info",
        frozenset({"platform"}),
        denied_as=frozenset({401}),  # not a platform's signature for this API
    ),
    "api/v1/friendliness/ranking": Row(
        lambda w: "/api/v1/friendliness/ranking",
        frozenset({"platform"}),
        denied_as=frozenset({401}),
    ),
    # --- tests only: uploads served by Django when DEBUG is off (settings.SERVE_MEDIA) ---
    "^media/(?P<path>.*)$": Row(lambda w: "/media/nothing-here.png", NOBODY),
    # --- admin site (models: ADMIN_MODELS below) ---------------------------------------
    "admin/": Row(lambda w: "/admin/", ADMIN_STAFF),
    "admin/login/": Row(lambda w: "/admin/login/", EVERYONE),
    "admin/logout/": Row(lambda w: "/admin/logout/", EVERYONE, method="post"),
    "admin/password_change/": Row(lambda w: "/admin/password_change/", ADMIN_STAFF),
    "admin/password_change/done/": Row(lambda w: "/admin/password_change/done/", ADMIN_STAFF),
    "admin/autocomplete/": Row(lambda w: "/admin/autocomplete/", NOBODY),
    "admin/jsi18n/": Row(lambda w: "/admin/jsi18n/", ADMIN_STAFF),
    APP_LIST_KEY: Row(lambda w: "/admin/communities/", STAFF_HERE | {"staff_there"}),
    # "View on site": no model here has a public URL, so 404 for everyone.
    "admin/r/<path:content_type_id>/<path:object_id>/": Row(
        lambda w: f"/admin/r/{_content_type_id('communities.community')}/{w.community.pk}/",
        NOBODY,
    ),
    "admin/(?P<url>.*)$": Row(lambda w: "/admin/no-such-page/", NOBODY),
    "admin/auth/user/<id>/password/": Row(
        lambda w: f"/admin/auth/user/{w.users['staff_here'].pk}/password/", NOBODY
    ),
    "admin/communities/community/<int:pk>/publish-rules/": Row(
        lambda w: f"/admin/communities/community/{w.community.pk}/publish-rules/", STAFF_HERE
    ),
    "admin/communities/community/<int:pk>/import-units/": Row(
        lambda w: f"/admin/communities/community/{w.community.pk}/import-units/", STAFF_HERE
    ),
}


def _first(model_path: str, **filters: Any) -> Callable[[World], Any]:
    def get(w: World) -> Any:
        from django.apps import apps

        model = apps.get_model(model_path)
        scoped = {k: (v(w) if callable(v) else v) for k, v in filters.items()}
        obj = model.objects.filter(**scoped).order_by("pk").first()
        # No such row in the world (rules decisions): an id nobody holds, still refused.
        return obj if obj is not None else model(pk=987654)

    return get


_here: Callable[[World], Any] = lambda w: w.community  # noqa: E731

#: Every model registered in the admin: how to sample one object of *this* community (or
#: company), and who gets its changelist / add / change / history / delete views.
#: Views: "list", "add", "change" (also "<id>/" and "history"), "delete".
COMPANY_SCOPED = {
    "list": STAFF_HERE | {"staff_there"},
    "add": STAFF_HERE | {"staff_there"},
    "change": STAFF_HERE,
    "delete": STAFF_HERE,
}
SUPERUSER_ONLY = {"list": NOBODY, "add": NOBODY, "change": NOBODY, "delete": NOBODY}
READ_ONLY_SCOPED = {
    "list": STAFF_HERE | {"staff_there"},
    "add": NOBODY,
    "change": STAFF_HERE,
    "delete": NOBODY,
}

ADMIN_MODELS: dict[str, tuple[Callable[[World], Any], dict[str, frozenset[str]]]] = {
    "axes.accessattempt": (_first("axes.AccessAttempt"), SUPERUSER_ONLY),
    "axes.accessfailurelog": (_first("axes.AccessFailureLog"), SUPERUSER_ONLY),
    "axes.accesslog": (_first("axes.AccessLog"), SUPERUSER_ONLY),
    "auth.group": (_first("auth.Group"), SUPERUSER_ONLY),
    "auth.user": (lambda w: w.users["staff_here"], SUPERUSER_ONLY),
    "core.auditentry": (
        _first("core.AuditEntry", community_id=lambda w: w.community.pk),
        SUPERUSER_ONLY,
    ),
    "communities.community": (_here, {**COMPANY_SCOPED, "delete": NOBODY}),
    "communities.propertycompany": (lambda w: w.company, SUPERUSER_ONLY),
    "communities.staffmembership": (_first("communities.StaffMembership"), SUPERUSER_ONLY),
    "communities.building": (_first("communities.Building", community=_here), COMPANY_SCOPED),
    "communities.gate": (lambda w: w.gate, COMPANY_SCOPED),
    "communities.parkingzone": (_first("communities.ParkingZone", community=_here), COMPANY_SCOPED),
    "communities.reststation": (_first("communities.RestStation", community=_here), COMPANY_SCOPED),
    "communities.deliveryfacility": (
        _first("communities.DeliveryFacility", community=_here),
        COMPANY_SCOPED,
    ),
    "communities.deliveryrules": (
        _first("communities.DeliveryRules", community=_here),
        READ_ONLY_SCOPED,
    ),
    "communities.gatecontroller": (lambda w: w.controller, COMPANY_SCOPED),
    "riders.platform": (lambda w: w.platform, SUPERUSER_ONLY),
    "riders.passsigningkey": (_first("riders.PassSigningKey"), SUPERUSER_ONLY),
    "riders.rider": (lambda w: w.rider, READ_ONLY_SCOPED),
    "riders.accessgrant": (lambda w: w.grant, READ_ONLY_SCOPED),
    "riders.accessevent": (_first("riders.AccessEvent", gate=lambda w: w.gate), READ_ONLY_SCOPED),
    "governance.owner": (lambda w: w.owners["owner_here"], SUPERUSER_ONLY),
    "governance.resolution": (lambda w: w.resolution, SUPERUSER_ONLY),
    "governance.ballot": (_first("governance.Ballot"), SUPERUSER_ONLY),
    "governance.ballotlog": (_first("governance.BallotLog"), SUPERUSER_ONLY),
    "governance.resolutionevent": (_first("governance.ResolutionEvent"), SUPERUSER_ONLY),
    "governance.rulesdecision": (_first("governance.RulesDecision"), SUPERUSER_ONLY),
    "governance.feedback": (lambda w: w.feedback, SUPERUSER_ONLY),
    "governance.notice": (_first("governance.Notice"), SUPERUSER_ONLY),
    "dashboard.hourlyeventcount": (_first("dashboard.HourlyEventCount"), SUPERUSER_ONLY),
    "coordination.streetoffice": (_first("coordination.StreetOffice"), SUPERUSER_ONLY),
}


def _admin_rows() -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for label, (sample, who) in ADMIN_MODELS.items():
        app, model = label.split(".")
        base = f"admin/{app}/{model}/"

        def obj_url(suffix: str, sample=sample, base=base) -> Callable[[World], str]:
            return lambda w: f"/{base}{sample(w).pk}/{suffix}"

        def change_text(w: World, sample=sample, base=base) -> str:
            return f"/{base}{sample(w).pk}/change/"

        rows[base] = Row(
            lambda w, base=base: f"/{base}", who["list"], hidden_from={"staff_there": change_text}
        )
        rows[f"{base}add/"] = Row(lambda w, base=base: f"/{base}add/", who["add"])
        rows[f"{base}<path:object_id>/"] = Row(obj_url(""), who["change"])
        rows[f"{base}<path:object_id>/change/"] = Row(obj_url("change/"), who["change"])
        rows[f"{base}<path:object_id>/history/"] = Row(obj_url("history/"), who["change"])
        rows[f"{base}<path:object_id>/delete/"] = Row(obj_url("delete/"), who["delete"])
    return rows


DJANGO_ADMIN_MODEL_VIEWS = frozenset(_admin_rows())
TABLE.update(_admin_rows())


def test_every_url_pattern_is_in_the_table():
    walked = set(walk(get_resolver().url_patterns))
    missing = sorted(walked - TABLE.keys())
    assert not missing, f"URL patterns with no row in the access matrix: {missing}"
    stale = sorted(TABLE.keys() - walked)
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


def test_every_admin_model_is_sampled():
    registered = {m._meta.label_lower for m in admin.site._registry}
    assert registered == set(ADMIN_MODELS), registered ^ set(ADMIN_MODELS)


def _is_login_redirect(response) -> bool:
    return response.status_code in (301, 302) and "login" in response.get("Location", "")


#: The Django admin site's own views. With the admin's model views (`_admin_rows`) they
#: refuse Django's way, kept as it is: 403 for a model the role may not use at all, and
#: "doesn't exist" (a redirect to the index) for an object outside the role's queryset, as
#: for a missing id. (Django's history view answers a missing id of a model the role may
#: not use with that redirect too, not 403.) Last100's own admin views (publishing rules,
#: importing units) are not in here: they answer 404 like every other page.
DJANGO_ADMIN_SITE = frozenset(
    {
        "admin/",
        "admin/login/",
        "admin/logout/",
        "admin/password_change/",
        "admin/password_change/done/",
        "admin/autocomplete/",
        "admin/jsi18n/",
        APP_LIST_KEY,
        "admin/r/<path:content_type_id>/<path:object_id>/",
        "admin/(?P<url>.*)$",
        "admin/auth/user/<id>/password/",
    }
)


def _names_an_object(key: str) -> bool:
    """A URL pattern with an id, slug, entry code or token in its path (a converter or a
    named group), other than the Django admin's own views."""
    return "<" in key and key not in DJANGO_ADMIN_SITE and key not in DJANGO_ADMIN_MODEL_VIEWS


def _verdict(row: Row, role: str, response, world: World, key: str) -> str | None:
    """Why this response breaks the row's rule, or None."""
    status = response.status_code
    if role in row.allowed:
        if _is_login_redirect(response) and role in NOT_LOGGED_IN and row.allowed != EVERYONE:
            return f"sent to log in ({status})"
        if not (200 <= status < 400 or status in row.also_ok):
            return f"allowed but got {status}"
        if role in row.hidden_from and status == 200:
            needle = row.hidden_from[role](world)
            if needle in response.content.decode(errors="replace"):
                return f"sees {needle!r} of another company"
        return None
    if role not in NOT_LOGGED_IN and _names_an_object(key):
        # A session refused an object gets the answer of a missing object (issue #22), or
        # the row's own `denied_as` (a machine API refusing a request it cannot
        # authenticate); at the admin, a session that is not staff gets its log-in page.
        if status == 404 or status in row.denied_as:
            return None
        if key.startswith("admin/") and role not in ADMIN_STAFF and _is_login_redirect(response):
            return None
        where = response.get("Location", "")
        return f"refused role got {status}{f' {where}' if where else ''}, not 404"
    if status in (403, 404) or status in row.denied_as:
        return None
    if _is_login_redirect(response):
        # No session, or a session of someone who is not staff, at the admin.
        return None
    if status == 302 and response.get("Location") == response.request["PATH_INFO"] + "change/":
        # Admin's "<id>/" always forwards to "<id>/change/", which has its own row.
        return None
    if role in ADMIN_STAFF and status == 302 and response.get("Location") == "/admin/":
        # Admin's answer to an object outside the user's queryset: "doesn't exist"
        # (the same as for a missing id), back to the index.
        return None
    return f"refused role got {status} {response.get('Location', '')}".strip()


def _group(key: str) -> str:
    """Rows are checked in groups (one world per group: building it is the slow part)."""
    parts = key.split("/")
    return "/".join(parts[:2]) if parts[0] == "admin" and len(parts) > 2 else parts[0]


GROUPS: dict[str, list[str]] = {}
for _key in sorted(TABLE):
    GROUPS.setdefault(_group(_key), []).append(_key)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_access_matrix(group: str, world: World):
    problems: list[str] = []
    for key in GROUPS[group]:
        problems += _row_problems(key, world)
    assert not problems, "\n".join(problems)


def _row_problems(key: str, world: World) -> list[str]:
    row = TABLE[key]
    problems = []
    for role in ROLES:
        client = RoleClient(role, world)
        # Each cell runs in a savepoint rolled back after it: an allowed POST (suspend a
        # grant, rotate a gate code, erase a rider) must not change the next role's world.
        with transaction.atomic():
            url = row.url(world)
            data = row.data(world) if row.data else None
            response = client.request(row.method, url, data, row.content_type)
            problem = _verdict(row, role, response, world, key)
            transaction.set_rollback(True)
        if os.environ.get("MATRIX_SHOW"):
            print(f"{key} {role} {response.status_code} {response.get('Location', '')}")
        if problem:
            problems.append(f"{key} {role}: {row.method.upper()} {url}: {problem}")
    return problems


def test_matrix_size_is_reported(capsys):
    cells = len(TABLE) * len(ROLES)
    with capsys.disabled():
        print(f"\naccess matrix: {len(TABLE)} URL patterns x {len(ROLES)} roles = {cells} cells")
    assert cells >= 9 * 60


def test_the_admin_views_judged_the_django_way_exist():
    stale = sorted(DJANGO_ADMIN_SITE - TABLE.keys())
    assert not stale, f"DJANGO_ADMIN_SITE names patterns that no longer exist: {stale}"
