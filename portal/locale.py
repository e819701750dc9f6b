"""The portal's locale layer, on both entrances (settings.MIDDLEWARE and
MACHINE_MIDDLEWARE)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


class LocaleMiddleware:
    """Django's LocaleMiddleware for a site whose URLs carry no language prefix (the
    portal uses no `i18n_patterns`; a test holds it to that): the language from the
    request's language cookie or `Accept-Language`, exactly as Django's
    `get_language_from_request` decides it, and the same `Content-Language` and
    `Vary: Accept-Language` on the answer. What it leaves out is the look-up of a language
    prefix in the path, which Django's does twice per request whether or not prefixes are
    used (`/c/garden/` reads as the language "c", tried and refused): a third of
    LocaleMiddleware's cost on a scan (53 vs 20 µs for the middleware and a JSON view,
    2026-12-07), ≈ 4 % of a cached rules page's Python."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        # As Django's: the language active when the answer leaves (a view may switch it).
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
