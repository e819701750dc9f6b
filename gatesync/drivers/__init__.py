"""Drivers send protocol documents (docs/gate-protocol.md) to one kind of controller."""

from __future__ import annotations

from communities.models import GateController

from .base import Driver, DriverError, PushResult, VersionMismatch
from .hikvision import HikvisionDriver
from .http_json import HttpJsonDriver

__all__ = ["Driver", "DriverError", "PushResult", "VersionMismatch", "driver_for"]


def driver_for(controller: GateController, *, timeout: float) -> Driver:
    if controller.driver == GateController.Driver.HIKVISION_ISAPI:
        return HikvisionDriver(controller, timeout=timeout)
    return HttpJsonDriver(controller, timeout=timeout)
