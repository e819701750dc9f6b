"""Driver for Hikvision access-control terminals over ISAPI (JSON), docs/hikvision.md.

A terminal keeps *persons*, not our list: each entry `[grant, rider, from, until]`
becomes the person `L100G<grant>` named after the rider, valid from..until (local time),
allowed through door 1 with the all-day plan template. The terminal recognises the rider
by face or card enrolled on it; the list decides whether it opens. It cannot verify our
signed passes, so the `keys` change is not sent; riders' hours are not mapped either.

The terminal holds no version (holds_version = False): a delta is applied as is and a
snapshot reconciles every `L100G…` person (others, e.g. residents, are never touched).
Every call is idempotent by employeeNo, so the push service may retry a whole push.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

import requests
from django.utils import timezone
from requests.auth import HTTPDigestAuth

from communities.models import GateController
from core.netguard import UNREACHABLE, requests_adapter

from ..models import AccessListHead
from ..providers import person_names
from .base import DriverError, PushResult

logger = logging.getLogger(__name__)

PREFIX = "L100G"
NAME_MAX_BYTES = 32  # UserInfo.name on DS-K1T terminals (see UserInfo/capabilities)
SEARCH_PAGE = 30  # terminals answer at most 30 persons a search page
RECORD_BATCH = 30
DELETE_BATCH = 30
# Terminals take times up to 2037 (32-bit clocks); an open-ended grant ends there.
FAR_END = dt.datetime(2037, 12, 31, 23, 59, 59)
EARLIEST = dt.datetime(2000, 1, 1)
DELETE_POLLS = 50

RECORD = "/ISAPI/AccessControl/UserInfo/Record?format=json"
MODIFY = "/ISAPI/AccessControl/UserInfo/Modify?format=json"
SEARCH = "/ISAPI/AccessControl/UserInfo/Search?format=json"
DELETE = "/ISAPI/AccessControl/UserInfoDetail/Delete?format=json"
DELETE_PROCESS = "/ISAPI/AccessControl/UserInfoDetail/DeleteProcess?format=json"
COUNT = "/ISAPI/AccessControl/UserInfo/Count?format=json"
DEVICE_INFO = "/ISAPI/System/deviceInfo"
EXISTS = {"employeeNoAlreadyExist", "deviceUserAlreadyExist"}
FIRMWARE = re.compile(r"<firmwareVersion>([^<]*)</firmwareVersion>")


def employee_no(grant_id: int) -> str:
    return f"{PREFIX}{grant_id}"


def truncate_utf8(text: str, limit: int = NAME_MAX_BYTES) -> str:
    """The longest prefix of `text` whose UTF-8 fits `limit` bytes (whole characters)."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")


def local_time(seconds: int | None, *, end: bool) -> str:
    """Unix seconds as the terminal's local "YYYY-MM-DDTHH:MM:SS" (the portal's TIME_ZONE;
    set the terminal's clock to the same zone). Our `valid_until` is exclusive and the
    terminal's endTime inclusive, hence one second less."""
    if seconds is None:
        moment = FAR_END
    else:
        moment = dt.datetime.fromtimestamp(seconds - (1 if end else 0), tz=dt.UTC)
        moment = timezone.localtime(moment).replace(tzinfo=None)
        moment = min(max(moment, EARLIEST), FAR_END)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _reason(answer: Any, http_status: int) -> str:
    if isinstance(answer, dict):
        sub = answer.get("subStatusCode") or answer.get("statusString")
        message = answer.get("errorMsg")
        if sub and message and message != sub:
            return f"{sub}: {message}"
        if sub or message:
            return str(sub or message)
    return f"HTTP {http_status}"


def _ok(http_status: int, answer: Any) -> bool:
    return http_status == 200 and isinstance(answer, dict) and answer.get("statusCode") == 1


class HikvisionDriver:
    holds_version = False

    def __init__(self, controller: GateController, *, timeout: float) -> None:
        self.controller = controller
        self.timeout = timeout
        self.base = controller.endpoint.rstrip("/")
        self.session = requests.Session()  # kept-alive connection and Digest nonce reuse
        # Every connection goes to an address core.netguard allows (checked when it
        # connects, redirects included), never through a proxy from the environment.
        self.session.trust_env = False
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, requests_adapter())
        self.session.auth = HTTPDigestAuth(controller.username, controller.secret)
        self.session.headers["Content-Type"] = "application/json"
        self.bytes_sent = 0

    # --- HTTP ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        try:
            response = self.session.request(
                method, self.base + path, data=body, timeout=self.timeout
            )
        except requests.RequestException as error:
            # Staff see a generic message: the socket's own words would map the network.
            logger.warning("controller %s unreachable: %s", self.base, error)
            raise DriverError(f"{self.base}: {UNREACHABLE}") from error
        self.bytes_sent += len(body or b"")
        if response.status_code == 401:
            # Terminals lock an account after a few failed log-ins: retrying would do harm.
            raise DriverError(
                f"{self.base} refused user {self.controller.username!r} (HTTP 401): check the "
                "user name and password",
                retryable=False,
            )
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text[:200]
        return response.status_code, answer

    # --- persons ---------------------------------------------------------------------------

    def _persons(self, entries: list[list[Any]], *, enabled: bool) -> dict[str, dict[str, Any]]:
        names = person_names(entry[1] for entry in entries)  # riders' names, by riders
        persons: dict[str, dict[str, Any]] = {}
        for grant, rider, valid_from, valid_until in entries:
            number = employee_no(grant)
            persons[number] = {
                "employeeNo": number,
                "name": truncate_utf8(names.get(rider) or f"Rider {rider}"),
                "userType": "normal",
                "Valid": {
                    "enable": enabled,
                    "beginTime": local_time(valid_from, end=False),
                    "endTime": local_time(valid_until, end=True),
                    "timeType": "local",
                },
                "doorRight": "1",
                "RightPlan": [{"doorNo": 1, "planTemplateNo": "1"}],
            }
        return persons

    def _search_all(self) -> dict[str, dict[str, Any]]:
        """Every L100G person on the terminal, by employeeNo (page by page)."""
        found: dict[str, dict[str, Any]] = {}
        position = 0
        search_id = f"l100-{self.controller.pk}-{int(timezone.now().timestamp())}"
        while True:
            cond = {
                "searchID": search_id,
                "searchResultPosition": position,
                "maxResults": SEARCH_PAGE,
            }
            http_status, answer = self._call("POST", SEARCH, {"UserInfoSearchCond": cond})
            result = answer.get("UserInfoSearch") if isinstance(answer, dict) else None
            if http_status != 200 or not isinstance(result, dict):
                raise DriverError(f"person search failed: {_reason(answer, http_status)}")
            page = result.get("UserInfo") or []
            for person in page:
                number = str(person.get("employeeNo", ""))
                if number.startswith(PREFIX):
                    found[number] = person
            position += len(page)
            if result.get("responseStatusStrg") != "MORE":
                return found
            if not page:
                raise DriverError("person search answered MORE with an empty page")

    def _record(self, persons: list[dict[str, Any]], failures: dict[str, str]) -> None:
        """Add persons in batches; those the terminal already holds are modified instead.
        A terminal that refuses the batch form gets them one at a time."""
        existing: list[dict[str, Any]] = []
        for batch in _batches(persons, RECORD_BATCH):
            http_status, answer = self._call("POST", RECORD, {"UserInfo": batch})
            out = answer.get("UserInfoOutList") if isinstance(answer, dict) else None
            if not isinstance(out, dict):
                self._record_singly(batch, existing, failures)
                continue
            by_number = {str(item.get("employeeNo")): item for item in out.get("UserInfoOut", [])}
            for person in batch:
                item = by_number.get(person["employeeNo"])
                if item is None:
                    failures[person["employeeNo"]] = "no answer for this person"
                elif item.get("statusCode") == 1:
                    continue
                elif item.get("subStatusCode") in EXISTS or item.get("errorMsg") in EXISTS:
                    existing.append(person)
                else:
                    failures[person["employeeNo"]] = _reason(item, http_status)
        self._modify(existing, failures)

    def _record_singly(
        self, batch: list[dict[str, Any]], existing: list[dict[str, Any]], failures: dict[str, str]
    ) -> None:
        for person in batch:
            http_status, answer = self._call("POST", RECORD, {"UserInfo": person})
            if _ok(http_status, answer):
                continue
            if isinstance(answer, dict) and (
                answer.get("subStatusCode") in EXISTS or answer.get("errorMsg") in EXISTS
            ):
                existing.append(person)
            else:
                failures[person["employeeNo"]] = _reason(answer, http_status)

    def _modify(self, persons: Iterable[dict[str, Any]], failures: dict[str, str]) -> None:
        for person in persons:
            http_status, answer = self._call("PUT", MODIFY, {"UserInfo": person})
            if not _ok(http_status, answer):
                failures[person["employeeNo"]] = _reason(answer, http_status)

    def _delete(self, numbers: list[str], failures: dict[str, str]) -> None:
        """Delete persons (and their cards and faces) in batches. The terminal deletes in
        the background: wait for DeleteProcess, and on "failed" look up who is left."""
        for batch in _batches(numbers, DELETE_BATCH):
            doc = {
                "UserInfoDetail": {
                    "mode": "byEmployeeNo",
                    "EmployeeNoList": [{"employeeNo": number} for number in batch],
                }
            }
            http_status, answer = self._call("PUT", DELETE, doc)
            if not _ok(http_status, answer):
                reason = _reason(answer, http_status)
                failures.update(dict.fromkeys(batch, reason))
                continue
            state = self._delete_outcome()
            if state == "success":
                continue
            left = self._present(batch)
            for number in left:
                failures[number] = f"delete {state}"

    def _delete_outcome(self) -> str:
        for _poll in range(DELETE_POLLS):
            http_status, answer = self._call("GET", DELETE_PROCESS)
            process = (
                answer.get("UserInfoDetailDeleteProcess") if isinstance(answer, dict) else None
            )
            state = process.get("status") if isinstance(process, dict) else None
            if http_status != 200 or state is None:
                return f"unknown ({_reason(answer, http_status)})"
            if state != "processing":
                return str(state)
        return "still processing"

    def _present(self, numbers: list[str]) -> list[str]:
        cond = {
            "searchID": f"l100-{self.controller.pk}-left",
            "searchResultPosition": 0,
            "maxResults": SEARCH_PAGE,
            "EmployeeNoList": [{"employeeNo": number} for number in numbers],
        }
        http_status, answer = self._call("POST", SEARCH, {"UserInfoSearchCond": cond})
        result = answer.get("UserInfoSearch") if isinstance(answer, dict) else None
        if http_status != 200 or not isinstance(result, dict):
            return numbers
        return [str(p.get("employeeNo")) for p in result.get("UserInfo") or []]

    def _set_enabled(self, enabled: bool, failures: dict[str, str]) -> None:
        """Policy change: turn every L100G person on the terminal on or off, keeping the
        rest of what it holds for them."""
        changed = []
        for person in self._search_all().values():
            valid = dict(person.get("Valid") or {})
            if valid.get("enable") is not enabled:
                valid["enable"] = enabled
                # Some firmware wants the name and type on every Modify: send them back.
                changed.append(
                    {
                        "employeeNo": person["employeeNo"],
                        "name": person.get("name", ""),
                        "userType": person.get("userType", "normal"),
                        "Valid": valid,
                    }
                )
        self._modify(changed, failures)

    def _raise_failures(self, failures: dict[str, str], done: str) -> None:
        if not failures:
            return
        listed = ", ".join(f"{number} ({why})" for number, why in sorted(failures.items())[:20])
        more = f" and {len(failures) - 20} more" if len(failures) > 20 else ""
        raise DriverError(f"{done}; {len(failures)} persons failed: {listed}{more}")

    # --- the Driver protocol ---------------------------------------------------------------

    def push_snapshot(self, doc: dict[str, Any]) -> PushResult:
        self.bytes_sent = 0
        enabled = _entry_allowed(doc.get("policy"))
        wanted = self._persons(doc["entries"], enabled=enabled)
        held = self._search_all()
        failures: dict[str, str] = {}
        self._delete([number for number in held if number not in wanted], failures)
        self._record([p for number, p in wanted.items() if number not in held], failures)
        self._modify(
            [p for number, p in wanted.items() if number in held and _differs(p, held[number])],
            failures,
        )
        self._raise_failures(failures, f"snapshot {doc['version']} applied in part")
        return PushResult(
            version=doc["version"], size=len(wanted), digest=None, bytes_sent=self.bytes_sent
        )

    def push_delta(self, doc: dict[str, Any]) -> PushResult:
        self.bytes_sent = 0
        changes = doc["changes"]
        policies = [change["policy"] for change in changes if change["op"] == "policy"]
        policy = policies[-1] if policies else _current_policy(doc["community"])
        enabled = _entry_allowed(policy)
        failures: dict[str, str] = {}
        gone = [employee_no(c["grant"]) for c in changes if c["op"] == "del"]
        self._delete(gone, failures)
        entries = [c["entry"] for c in changes if c["op"] == "put"]
        self._record(list(self._persons(entries, enabled=enabled).values()), failures)
        if policies:
            self._set_enabled(enabled, failures)
        self._raise_failures(failures, f"delta to {doc['version']} applied in part")
        return PushResult(
            version=doc["version"], size=None, digest=None, bytes_sent=self.bytes_sent
        )

    def state(self) -> dict[str, Any]:
        http_status, answer = self._call("GET", COUNT)
        count = answer.get("UserInfoCount") if isinstance(answer, dict) else None
        if http_status != 200 or not isinstance(count, dict):
            raise DriverError(f"person count failed: {_reason(answer, http_status)}")
        found: dict[str, Any] = {"persons": count.get("userNumber")}
        try:
            response = self.session.get(self.base + DEVICE_INFO, timeout=self.timeout)
            match = FIRMWARE.search(response.text)
            found["firmware"] = match.group(1) if match else None
        except requests.RequestException:
            found["firmware"] = None
        return found


def _entry_allowed(policy: dict[str, Any] | None) -> bool:
    return (policy or {}).get("entry") != "no_entry"


def _current_policy(community_id: int) -> dict[str, Any]:
    """The policy as last logged. A delta without a policy change leaves the policy as
    it is, and the head holds it (if it moved on since, that change's own delta comes)."""
    found = (
        AccessListHead.objects.filter(community_id=community_id)
        .values_list("policy", flat=True)
        .first()
    )
    return found or {}


def _differs(wanted: dict[str, Any], held: dict[str, Any]) -> bool:
    have = held.get("Valid") or {}
    want = wanted["Valid"]
    return wanted["name"] != held.get("name") or any(
        have.get(key) != want[key] for key in ("enable", "beginTime", "endTime")
    )
