"""What every driver offers the push service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from communities.models import GateController


@dataclass
class PushResult:
    """What the controller holds after a push."""

    version: int
    size: int | None = None
    digest: str | None = None
    bytes_sent: int = 0


class DriverError(Exception):
    """The push did not complete. `retryable` False means retrying cannot help (e.g. the
    controller refuses our credentials); the push service records it either way."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class VersionMismatch(DriverError):
    """The controller holds another version than the delta starts from: send a snapshot."""

    def __init__(self, held: int, *, rollback: bool = False) -> None:
        super().__init__(f"controller holds version {held}")
        self.held = held
        # Protocol v2: the controller refused a snapshot older than what it holds; only
        # a signed reset lets it take one (docs/gate-protocol.md §3).
        self.rollback = rollback


class Driver(Protocol):
    """`doc` arguments are the JSON documents of docs/gate-protocol.md §3 (dicts)."""

    #: True when the controller itself remembers the list's version (http_json). False
    #: when only the portal does (hikvision_isapi): then every delta is applied as is, and
    #: a snapshot reconciles the device's whole person list.
    holds_version: bool

    def __init__(self, controller: GateController, *, timeout: float) -> None: ...

    def push_snapshot(self, doc: dict[str, Any]) -> PushResult: ...

    def push_delta(self, doc: dict[str, Any]) -> PushResult: ...

    def state(self) -> dict[str, Any]: ...
