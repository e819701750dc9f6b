"""Django's test client, routing each request as the deployed WSGI entrance does
(portal/wsgi.py): a controller's signed request to a gate endpoint through the machine
middleware stack, everything else through the full one."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.test.client import ClientHandler

from portal.machine import MachineMiddlewareMixin, is_machine_request


class _MachineClientHandler(MachineMiddlewareMixin, ClientHandler):
    pass


class _DispatchingClientHandler:
    def __init__(self, enforce_csrf_checks: bool) -> None:
        self.site = ClientHandler(enforce_csrf_checks)
        self.machine = _MachineClientHandler(enforce_csrf_checks)

    def __call__(self, environ: dict[str, Any]) -> Any:
        handler = self.machine if is_machine_request(environ) else self.site
        return handler(environ)


class EntranceClient(Client):
    def __init__(self, enforce_csrf_checks: bool = False, **kwargs: Any) -> None:
        super().__init__(enforce_csrf_checks, **kwargs)
        self.handler = _DispatchingClientHandler(enforce_csrf_checks)
