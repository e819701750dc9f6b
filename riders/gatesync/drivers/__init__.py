"""Drivers send protocol documents (docs/gate-protocol.md) to one kind of controller."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Driver, DriverError, PushResult, VersionMismatch

if TYPE_CHECKING:
    from communities.models import GateController

__all__ = ["Driver", "DriverError", "PushResult", "VersionMismatch", "driver_for"]


def driver_for(controller: GateController, *, timeout: float) -> Driver:
    from communities.models import GateController

    if controller.driver == GateController.Driver.HIKVISION_ISAPI:
        from .hikvision import HikvisionDriver

        return HikvisionDriver(controller, timeout=timeout)
    from .http_json import HttpJsonDriver

    return HttpJsonDriver(controller, timeout=timeout)
