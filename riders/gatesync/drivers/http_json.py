"""Driver for controllers speaking the Last100 gate protocol v1 (docs/gate-protocol.md)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from communities.netguard import guarded_urlopen

from ...api.auth import controller_sign
from .base import DriverError, PushResult, VersionMismatch

if TYPE_CHECKING:
    from communities.models import GateController


def signed_headers(*, controller_id: int, secret: str, body: bytes) -> dict[str, str]:
    stamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "X-L100-Controller": str(controller_id),
        "X-L100-Timestamp": str(stamp),
        "X-L100-Signature": controller_sign(secret=secret, timestamp=stamp, body=body),
    }


class HttpJsonDriver:
    holds_version = True

    def __init__(self, controller: GateController, *, timeout: float) -> None:
        self.controller = controller
        self.timeout = timeout
        self.base = controller.endpoint.rstrip("/")

    def _call(self, method: str, path: str, doc: dict[str, Any] | None) -> tuple[int, Any, int]:
        body = b"" if doc is None else json.dumps(doc, separators=(",", ":")).encode()
        request = urllib.request.Request(
            self.base + path,
            data=body if doc is not None else None,
            method=method,
            headers=signed_headers(
                controller_id=self.controller.pk, secret=self.controller.secret, body=body
            ),
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
            raise VersionMismatch(answer["version"])
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
