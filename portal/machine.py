"""The machine entrance: requests that gate controllers sign go through a short
middleware stack.

A controller's request (`X-L100-Controller` header, path under MACHINE_PATH_PREFIX) is
authenticated by its HMAC signature, never by a session, and answered with JSON. Sessions,
CSRF, log-in lockouts (axes), the content security policy, messages, whitenoise and the
session-timeout middleware do nothing for it but cost time on every scan, so
`MachineWSGIHandler` runs such requests through settings.MACHINE_MIDDLEWARE only
(security headers, host validation, language). `EntranceDispatcher` picks the handler per
request; everything else — a guard's phone posting to the same URL with its session, a
browser, the admin — goes through the full stack unchanged.

The view is the same in both cases: a request whose signature does not check out is
refused by the view (403), with `request.user` anonymous here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

MACHINE_PATH_PREFIX = "/api/v1/gates/"
CONTROLLER_HEADER = "HTTP_X_L100_CONTROLLER"


def is_machine_request(environ: dict[str, Any]) -> bool:
    return bool(environ.get(CONTROLLER_HEADER)) and environ.get("PATH_INFO", "").startswith(
        MACHINE_PATH_PREFIX
    )


class AnonymousRequestMiddleware:
    """No session here: the request's user is anonymous, so a view falling back from a
    missing or bad signature to `request.user` refuses it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = AnonymousUser()
        return self.get_response(request)


class MachineMiddlewareMixin:
    """A Django handler with settings.MACHINE_MIDDLEWARE instead of MIDDLEWARE.

    Every machine middleware is a synchronous new-style one, so this is Django's
    BaseHandler.load_middleware without the sync/async adaptation."""

    def load_middleware(self, is_async: bool = False) -> None:
        if is_async:
            raise ImproperlyConfigured("The machine entrance is WSGI only.")
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.MACHINE_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


class MachineWSGIHandler(MachineMiddlewareMixin, WSGIHandler):
    pass


class EntranceDispatcher:
    """The WSGI application: controllers' signed requests to the machine handler, all
    other requests to the full one."""

    def __init__(self, site: Callable[..., Iterable[bytes]], machine: MachineWSGIHandler):
        self.site = site
        self.machine = machine

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        handler = self.machine if is_machine_request(environ) else self.site
        return handler(environ, start_response)
