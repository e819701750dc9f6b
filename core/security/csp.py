"""django-csp's middleware, with the policy every ordinary answer gets built once.

django-csp 4 builds the Content-Security-Policy header (and the report-only one) from the
settings on every response: ≈ 6 % of a cached rules page's Python (py-spy, 2026-12-07).
An answer whose view used no nonce and changed no directive (`@csp_update`, `@csp_replace`,
`@csp`, their report-only twins) always gets the same two headers, so those are built once
per process and again when a CONTENT_SECURITY_POLICY setting changes (tests). Any other
answer goes through django-csp unchanged.
"""

from __future__ import annotations

import functools
import http.client as http_client
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

# What a view or decorator sets on its response to change the policy (django-csp 4).
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@functools.cache
def _ordinary_policies() -> tuple[str, str]:
    """(the policy, the report-only policy) of an answer with no nonce and no change."""
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _ordinary_policies.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _PER_RESPONSE
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (
            http_client.INTERNAL_SERVER_ERROR,
            http_client.NOT_FOUND,
        ):
            return response  # Django's debug pages, as django-csp leaves them
        policy, report_only = _ordinary_policies()
        for header, value, exempt, setting in (
            (HEADER, policy, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (
                HEADER_REPORT_ONLY,
                report_only,
                "_csp_exempt_ro",
                "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            ),
        ):
            if not value or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = value
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
