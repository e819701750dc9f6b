"""The rider's pass: /pass/ (the page) and /pass/tokens (fresh codes for pass.js).

Every grant of the rider is listed (riders serve many communities); each active one shows
a QR code of a pass token the portal signs (30 s life). The first render already carries
the codes; pass.js swaps in fresh ones about every 15 s without a reload. One query for
the rider (device cookie) and one for the grants with their community and current entry
policy, however many communities the rider serves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from communities.models import DeliveryRules, EntryPolicy
from core.qr import qr_svg

from ..models import AccessGrant, GrantStatus, Rider
from ..services.keys import PASS_LIFETIME_SECONDS, pass_token_issue
from ._device import device_rider

# pass.js fetches fresh codes this often (the token lives PASS_LIFETIME_SECONDS).
REFRESH_SECONDS = 15


@dataclass
class PassEntry:
    grant: AccessGrant
    state: str  # active, pending, suspended, revoked, expired, not_yet, no_entry
    state_text: str
    token: str = ""
    svg: str = ""
    expires_at: int = 0

    @property
    def headline(self) -> str:
        """What the page's headline says when this grant is the one that counts: the
        community named, and the staff's reason for a withdrawal or suspension."""
        name = self.grant.community.name
        reason = f" {self.grant.reason_text}" if self.grant.reason else ""
        if self.state == "revoked":
            return _("Your pass for %(name)s was withdrawn.") % {"name": name} + reason
        if self.state == "suspended":
            return _("Your pass for %(name)s is suspended.") % {"name": name} + reason
        return self.state_text


def _grants(rider: Rider) -> list[AccessGrant]:
    current = DeliveryRules.objects.current_value
    return list(
        AccessGrant.objects.filter(rider=rider)
        .select_related("community")
        .annotate(
            entry_policy=current("entry_policy"),
            handoff_point=current("handoff_point"),
        )
        .order_by("community__name", "pk")
    )


def _state(grant: AccessGrant, now: dt.datetime) -> tuple[str, str]:
    if grant.status == GrantStatus.ACTIVE:
        if grant.entry_policy == EntryPolicy.NO_ENTRY:
            return "no_entry", _("Riders may not enter: hand deliveries over at %(place)s.") % {
                "place": grant.handoff_point or _("the gate")
            }
        if grant.valid_from and now < grant.valid_from:
            return "not_yet", _("Valid from %(date)s.") % {
                "date": timezone.localtime(grant.valid_from).strftime("%Y-%m-%d %H:%M")
            }
        if not grant.is_valid_at(now):
            return "expired", _("Your access has run out. Ask the property office to renew it.")
        return "active", _("Active: show this code at the gate.")
    if grant.status == GrantStatus.PENDING:
        return "pending", _("Waiting for approval at the property office.")
    reason = f" {grant.reason_text}" if grant.reason else ""
    if grant.status == GrantStatus.SUSPENDED:
        return "suspended", _("Suspended.") + reason
    return "revoked", _("Withdrawn.") + reason


def _qr_title(grant: AccessGrant) -> str:
    return _("Pass for %(name)s") % {"name": grant.community.name}


def _entries(rider: Rider, now: dt.datetime) -> list[PassEntry]:
    entries = []
    # No code for a rider the platform deactivated, nor for any rider of a platform the
    # portal no longer accepts (device_rider loaded the platform with the rider).
    vouched = rider.platform_active and rider.platform.active
    for grant in _grants(rider):
        state, text = _state(grant, now)
        if state == "active" and not vouched:
            state = "suspended"
            text = _("Your platform does not vouch for you now, so no code is shown.")
        entry = PassEntry(grant=grant, state=state, state_text=text)
        if state == "active":
            entry.token = pass_token_issue(grant=grant, now=now)
            entry.svg = qr_svg(entry.token, title=_qr_title(grant))
            entry.expires_at = int(now.timestamp()) + PASS_LIFETIME_SECONDS
        entries.append(entry)
    return entries


# The pass page's one headline, from the most useful state of all the rider's grants
# (pass.js recomputes it live with the same order: valid, refreshing, offline, revoked...).
_HEADLINE_ORDER = ("active", "pending", "not_yet", "suspended", "revoked", "expired", "no_entry")


def _headline(entries: list[PassEntry]) -> tuple[str, str]:
    """(state, text) of the page's headline; state is valid, pending, revoked or none."""
    if any(e.token for e in entries):
        return "valid", _("Valid: show the code at the gate")
    states = {e.state for e in entries}
    for state in _HEADLINE_ORDER[1:]:
        if state in states:
            entry = next(e for e in entries if e.state == state)
            if state in ("pending", "not_yet"):
                return "pending", entry.headline
            return "revoked", entry.headline
    return "none", _("No pass on this phone yet")


@never_cache
@require_GET
def pass_page(request: HttpRequest) -> HttpResponse:
    rider = device_rider(request)
    if rider is None:
        return render(request, "riders/no_pass.html")
    entries = _entries(rider, timezone.now())
    headline_state, headline_text = _headline(entries)
    return render(
        request,
        "riders/pass.html",
        {
            "rider": rider,
            "entries": entries,
            "headline_state": headline_state,
            "headline_text": headline_text,
            "has_active": any(e.token for e in entries),
            "refresh_seconds": REFRESH_SECONDS,
            "invitations": _invitations([e.grant.community_id for e in entries]),
        },
    )


def _invitations(community_ids: list[int]) -> list[Any]:
    """What higher rooms invite the rider to (coordination meetings of their communities),
    from the providers settings name (RIDERS_PASS_INVITATION_PROVIDERS): riders imports
    none of them. Each returns items with `title`, `when`, `place` and `url`."""
    found: list[Any] = []
    for path in settings.RIDERS_PASS_INVITATION_PROVIDERS:
        found.extend(import_string(path)(community_ids))
    return found


@never_cache
@require_GET
def pass_tokens(request: HttpRequest) -> HttpResponse:
    """Fresh codes for every grant that deserves one now. A grant missing from the answer
    no longer does (revoked, suspended, …): pass.js greys its code."""
    rider = device_rider(request)
    if rider is None:
        return JsonResponse(
            {"error": "no_pass", "message": _("This phone holds no pass.")}, status=403
        )
    now = timezone.now()
    entries = _entries(rider, now)
    passes: list[dict[str, Any]] = [
        {
            "grant_id": e.grant.pk,
            "token": e.token,
            "svg": e.svg,
            "expires_at": e.expires_at,
            "state": e.state,
            "state_text": e.state_text,
        }
        for e in entries
        if e.token
    ]
    # Grants without a code now, with their state in words (revoked with the staff's
    # reason, suspended, pending...): pass.js says so on the card and in the headline.
    others = [
        {
            "grant_id": e.grant.pk,
            "state": e.state,
            "state_text": e.state_text,
            "headline": e.headline,
        }
        for e in entries
        if not e.token
    ]
    return JsonResponse(
        {
            "server_time": int(now.timestamp()),
            "refresh_seconds": REFRESH_SECONDS,
            "passes": passes,
            "others": others,
        }
    )
