"""Driver for controllers speaking the Last100 gate protocol (docs/gate-protocol.md): v2,
or v1 (deprecated) for a controller whose protocol is 1."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from communities.models import GateController
from core.netguard import guarded_urlopen

from ..auth import TO_CONTROLLER, controller_sign, signed_headers_v2
from .base import DriverError, PushResult, VersionMismatch


def signed_headers(*, controller_id: int, secret: str, body: bytes) -> dict[str, str]:
    stamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "X-L100-Controller": str(controller_id),
        "X-L100-Timestamp": str(stamp),
        "X-L100-Signature": controller_sign(secret=secret, timestamp=stamp, body=body),
    }


def request_headers(controller: GateController, method: str, url: str, body: bytes) -> dict:
    """The signed headers of one push or read to `controller` (v2 unless it speaks v1)."""
    if getattr(controller, "protocol", 2) < 2:
        return signed_headers(controller_id=controller.pk, secret=controller.secret, body=body)
    parts = urlsplit(url)
    return {
        "Content-Type": "application/json",
        **signed_headers_v2(
            controller_id=controller.pk,
            secret=controller.secret,
            direction=TO_CONTROLLER,
            method=method,
            path=parts.path or "/",
            query=parts.query,
            body=body,
        ),
    }


class HttpJsonDriver:
    holds_version = True

    def __init__(self, controller: GateController, *, timeout: float) -> None:
        self.controller = controller
        self.timeout = timeout
        self.base = controller.endpoint.rstrip("/")

    def _call(self, method: str, path: str, doc: dict[str, Any] | None) -> tuple[int, Any, int]:
        body = b"" if doc is None else json.dumps(doc, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) only: netguard checks the scheme
            self.base + path,
            data=body if doc is not None else None,
            method=method,
            headers=request_headers(self.controller, method, self.base + path, body),
        )
        try:
            with guarded_urlopen(request, timeout=self.timeout) as response:
                return response.status, _json(response.read()), len(body)
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read()), len(body)
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            raise DriverError(f"{self.base}: {reason}") from error

    def _push(self, path: str, doc: dict[str, Any]) -> PushResult:
        status, answer, sent = self._call("POST", path, doc)
        if status == 200 and isinstance(answer, dict) and isinstance(answer.get("version"), int):
            return PushResult(
                version=answer["version"],
                size=answer.get("size"),
                digest=answer.get("digest"),
                bytes_sent=sent,
            )
        if status == 409 and isinstance(answer, dict) and isinstance(answer.get("version"), int):
            raise VersionMismatch(answer["version"], rollback=answer.get("error") == "rollback")
        if status in (401, 403):
            raise DriverError(
                f"controller refused our signature (HTTP {status}): check the shared secret "
                "and both clocks",
                retryable=False,
            )
        raise DriverError(f"controller answered HTTP {status}: {str(answer)[:200]}")

    def push_snapshot(self, doc: dict[str, Any]) -> PushResult:
        return self._push("/v1/snapshot", doc)

    def push_delta(self, doc: dict[str, Any]) -> PushResult:
        return self._push("/v1/delta", doc)

    def reset(self) -> None:
        """The explicit, signed reset after which the controller takes an older list."""
        status, answer, _sent = self._call("POST", "/v1/reset", {})
        if status != 200:
            raise DriverError(f"controller answered HTTP {status} to a reset: {str(answer)[:200]}")

    def state(self) -> dict[str, Any]:
        status, answer, _sent = self._call("GET", "/v1/state", None)
        if status != 200 or not isinstance(answer, dict):
            raise DriverError(f"controller answered HTTP {status}")
        return answer


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw[:200].decode("utf-8", "replace")
