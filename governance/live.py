"""The live count polled by owners' pages, cached for a few seconds per resolution
(settings GOVERNANCE_LIVE_TALLY_SECONDS, default 5) and forgotten when a ballot is cast:
thousands of owners watching the bars cost one count every few seconds, not one each."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from .tally import Tally, tally


def _key(resolution_id: int) -> str:
    return f"gov-live-tally:v1:{resolution_id}"


def live_tally(resolution) -> Tally:
    if resolution.result:
        return Tally.from_json(resolution.result)
    data = cache.get(_key(resolution.pk))
    if data is not None:
        return Tally.from_json(data)
    figures = tally(resolution)
    seconds = getattr(settings, "GOVERNANCE_LIVE_TALLY_SECONDS", 5)
    cache.set(_key(resolution.pk), figures.as_json(), seconds)
    return figures


def live_tally_forget(resolution_id: int) -> None:
    cache.delete(_key(resolution_id))
