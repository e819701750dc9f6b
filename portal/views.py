"""Portal-wide pages: the health check, the language switch and the favicon redirect
(the landing page lives in communities, the staff dashboard in dashboard)."""

from __future__ import annotations

import functools
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .tasks import PIPELINE_KEY


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported as such
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _check_cache() -> dict:
    started = time.perf_counter()
    try:
        cache.set("healthz", "1", 10)
        ok = cache.get("healthz") == "1"
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return {"ok": ok, "backend": backend, "ms": round((time.perf_counter() - started) * 1000, 1)}


@functools.cache
def _broker_client():
    """One pooled client per process (a new connection per health check would cost more
    than the check)."""
    import redis

    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
    )


def _check_broker() -> dict:
    started = time.perf_counter()
    try:
        _broker_client().ping()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "mode": "redis", "error": exc.__class__.__name__}
    return {"ok": True, "mode": "redis", "ms": round((time.perf_counter() - started) * 1000, 1)}


def _check_pipeline() -> dict:
    """Whether beat and a worker run: the last time a worker ran beat's pipeline_beat.
    Tests run tasks in the test process (eager): there is no pipeline to check."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager"}
    try:
        seen = cache.get(PIPELINE_KEY)
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return {"ok": False, "error": exc.__class__.__name__}
    if seen is None:
        return {"ok": False, "error": "no worker or beat seen yet"}
    age = round(time.time() - float(seen), 1)
    return {
        "ok": age <= settings.PIPELINE_STALE_SECONDS,
        "mode": "worker and beat",
        "seconds_since_beat": age,
    }


def _may_see_health_details(request: HttpRequest) -> bool:
    """Logged-in active staff, or the operators' monitoring with HEALTHZ_TOKEN."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return True
    token = settings.HEALTHZ_TOKEN
    if not token:
        return False
    scheme, _space, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, cache, broker and pipeline (beat and a worker) state. 503 when the
    database is down (nothing works without it); a cache, broker or pipeline failure is
    reported ("degraded") but the answer stays 200, since pages still render and the
    outbox keeps the work.

    Anyone gets `{"status": "ok"}` or `{"status": "degraded"}` (with the same status
    codes): which backends run, how fast and how they fail is a map for an attacker, so
    the details go only to staff and to holders of HEALTHZ_TOKEN."""
    checks = {
        "database": _check_database(),
        "cache": _check_cache(),
        "broker": _check_broker(),
        "pipeline": _check_pipeline(),
    }
    ok = all(c["ok"] for c in checks.values())
    status = "ok" if ok else "degraded"
    if not checks["database"]["ok"]:
        status = "down"
    code = 503 if status == "down" else 200
    if not _may_see_health_details(request):
        return JsonResponse({"status": "ok" if ok else "degraded"}, status=code)
    return JsonResponse({"status": status, **checks}, status=code)


@require_GET
def language_switch(request: HttpRequest, code: str) -> HttpResponseRedirect:
    """Switch the interface language by a plain link and go back to `next`.

    A GET, unlike Django's set_language, so pages need no CSRF token for it and cached
    pages stay identical for every visitor. Changing someone's language is harmless, so a
    cross-site link doing it is no risk."""
    if code not in dict(settings.LANGUAGES):
        raise Http404("Unknown language")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask /favicon.ico for pages without an icon link (the admin, the API docs):
    point them at the static icon instead of a 404 in every console."""
    from django.templatetags.static import static

    response = HttpResponseRedirect(static("icons/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
