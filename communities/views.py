"""Public pages: the landing page (find a community) and a community's delivery rules
page with its house-number finder. No log-in; built for a 360-px phone first.

The rules page is cached whole, per community version and language: a hit costs one
indexed query (slug → id, updated_at) and one cache get. Any change inside the community
bumps `updated_at` (communities.signals), which changes the key, so the next request
renders afresh. The page holds nothing per visitor (the language switch is a plain link,
no CSRF token), so a hit returns the cached bytes as they are.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.i18n_text import localized

from .maplayout import sitemap_prepare
from .models import Community, DeliveryFacility, DeliveryRules, EntryPolicy
from .selectors.finder import FindResult, house_find
from .selectors.pages import (
    SEARCH_PAGE_SIZE,
    RulesPageData,
    communities_search,
    community_cache_stamp,
    community_public_get,
    rules_current_with_community,
    rules_page_context,
)

QUERY_MAX_LENGTH = 80


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """Find a community by name or address; 20 per page. Works without JavaScript."""
    query = " ".join(request.GET.get("q", "").split())[:100]
    paginator = Paginator(communities_search(query), SEARCH_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "communities/landing.html",
        {"q": query, "page": page, "communities": page.object_list},
    )


@require_GET
def rules_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A community's delivery rules. With ``?q=<house number>`` (the finder without
    JavaScript) the page is rendered, not cached, with the building highlighted."""
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    if query:
        rules = rules_current_with_community(slug=slug)
        if rules is not None:
            community = rules.community
            data = rules_page_context(community, rules=rules)
        else:
            community = community_public_get(slug)
            if community is None:
                raise Http404("No such community")
            data = rules_page_context(community)
        found = house_find(
            community,
            query,
            buildings=data.buildings,
            gates=data.gates,
            parking_zones=data.parking_zones,
        )
        context = _rules_context(request, data, found=found)
        return render(request, "communities/rules.html", context)

    stamp = community_cache_stamp(slug)
    if stamp is None:
        raise Http404("No such community")
    key = f"rules-page:v5:{stamp.version}:{get_language()}"
    body = PAGE_MEMO.get(key)
    if body is None:
        body = cache.get(key)
    if body is None:
        rules = rules_current_with_community(stamp.id)
        if rules is not None:
            data = rules_page_context(rules.community, rules=rules)
        else:  # no rules (never in practice) or deleted since the stamp was read
            community = Community.objects.select_related("company").filter(pk=stamp.id).first()
            if community is None:
                raise Http404("No such community")
            data = rules_page_context(community)
        context = _rules_context(request, data)
        context["lang_next"] = request.path
        html = render_to_string("communities/rules.html", context, request=request)
        body = _INDENT.sub("\n", html).encode()
        cache.set(key, body, settings.RULES_PAGE_CACHE_SECONDS)
    PAGE_MEMO.put(key, body)
    return HttpResponse(body)


class PageMemo:
    """Rules pages this process served lately, by cache key, in front of the shared
    cache. A key names one version of one community's page in one language (it holds
    `updated_at`), so an entry cannot go stale when the community changes; entries still
    expire after RULES_PAGE_CACHE_SECONDS like the shared cache's, for what lies outside
    the community (its company's name and phone). Spares a round trip to Redis and the
    unpickling of the page on every view."""

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, body: bytes) -> None:
        expires = time.monotonic() + settings.RULES_PAGE_CACHE_SECONDS
        with self._lock:
            self._entries[key] = (expires, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


PAGE_MEMO = PageMemo()


# Indentation is a third of a big page; dropping it changes nothing a browser shows
# (the page has no <pre> or <textarea>).
_INDENT = re.compile(r"\n\s+")


@require_GET
def house_find_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The finder's answer as JSON: building, entrance/home found, nearest rider gate and
    parking zone, and a sentence to show. 400 when the text is not a house number, 404
    when the community has no such building."""
    community = community_public_get(slug)
    if community is None:
        return JsonResponse(
            {"error": "no_community", "message": _("No such community.")}, status=404
        )
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    found = house_find(community, query)
    rules = DeliveryRules.objects.current_of(community) if found.found else None
    body = found.as_dict() | {"message": find_message(found, rules)}
    status = 200 if found.found else 400 if found.error == "unreadable" else 404
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def find_message(found: FindResult, rules: DeliveryRules | None) -> str:
    """The sentence under the finder: "Building 7: enter by North Gate, park at Zone A." """
    if found.error == "unreadable":
        return _("We could not read that house number. Try 7-2-1503, 7栋2单元1503 or Building 7.")
    if found.building is None:
        return _("There is no building %(number)s in this community.") % {
            "number": found.parsed.building
        }
    building = str(found.building)
    if rules is not None and rules.entry_policy == EntryPolicy.NO_ENTRY:
        sentence = _("%(building)s: riders may not enter; hand off at %(handoff)s.") % {
            "building": building,
            "handoff": localized(rules, "handoff_point").text,
        }
    elif found.gate and found.parking_zone:
        sentence = _("%(building)s: enter by %(gate)s, park at %(zone)s.") % {
            "building": building,
            "gate": localized(found.gate, "name").text,
            "zone": localized(found.parking_zone, "name").text,
        }
    elif found.gate:
        sentence = _("%(building)s: enter by %(gate)s.") % {
            "building": building,
            "gate": localized(found.gate, "name").text,
        }
    elif found.parking_zone:
        sentence = _("%(building)s: park at %(zone)s.") % {
            "building": building,
            "zone": localized(found.parking_zone, "name").text,
        }
    else:
        sentence = _("%(building)s is marked on the map.") % {"building": building}
    if not found.building.has_marker:
        sentence += " " + _("Its place on the site map has not been marked yet.")
    if found.unit_exists is False:
        sentence += " " + _("Home %(home)s is not on our list; check the number.") % {
            "home": str(found.parsed)
        }
    if found.entrance_exists is False:
        sentence += " " + _("Entrance %(entrance)s is not on our list.") % {
            "entrance": found.parsed.entrance
        }
    return sentence


def _rules_context(
    request: HttpRequest, data: RulesPageData, *, found: FindResult | None = None
) -> dict[str, Any]:
    rules = data.rules
    notes = localized(rules, "notes") if rules is not None else ""
    facilities_by_kind = {kind: [] for kind in DeliveryFacility.Kind.values}
    for facility in data.facilities:
        facilities_by_kind[facility.kind].append(facility)
    highlight = {
        "building": found.building.pk if found and found.building else None,
        "gate": found.gate.pk if found and found.gate else None,
        "zone": found.parking_zone.pk if found and found.parking_zone else None,
        "gates": (),
    }
    sitemap_prepare(data)
    return {
        "community": data.community,
        "company": data.community.company,
        "rules": rules,
        "resolution": data.resolution,
        "decision_pending": data.decision_pending,
        "notices": data.notices,
        "notes": notes,
        "gates": data.gates,
        "rider_gates": data.rider_gates,
        "parking_zones": data.parking_zones,
        "rest_stations": data.rest_stations,
        "facilities": data.facilities,
        "facility_groups": [
            (label, facilities_by_kind[value])
            for value, label in DeliveryFacility.Kind.choices
            if facilities_by_kind[value]
        ],
        "buildings": data.buildings,
        "has_site_map": data.has_site_map,
        "q": found.query if found else "",
        "found": found,
        "find_message": find_message(found, rules) if found else "",
        "highlight": highlight,
        "finder_data": {"buildings": data.finder_buildings()},
    }
