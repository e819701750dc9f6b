"""The person store of a fake Hikvision access-control terminal and the ISAPI JSON
answers it gives. No HTTP here (server.py); standard library only.

Answers are shaped as the terminals' `?format=json` ones: a `ResponseStatus`
(`statusCode` 1 = OK, `statusString`, `subStatusCode`, `errorCode`, `errorMsg`) for
single-object writes, `UserInfoOutList.UserInfoOut[]` for a batch `UserInfo` array,
`UserInfoSearch` (`responseStatusStrg` OK / MORE / NO MATCH) for searches.
"""

from __future__ import annotations

import re
import threading
from typing import Any

FIRMWARE = "V2.2.0 build 250101 (isapisim)"
MODEL = "DS-K1T342MFWX-SIM"
EMPLOYEE_NO_MAX_BYTES = 32
NAME_MAX_BYTES = 32
SEARCH_MAX_RESULTS = 30
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")

# (HTTP status, statusCode, statusString, subStatusCode, errorCode)
OK = (200, 1, "OK", "ok", 1)
ALREADY_EXISTS = (400, 6, "Invalid Content", "employeeNoAlreadyExist", 0x60000023)
NOT_EXISTS = (400, 6, "Invalid Content", "employeeNoNotExist", 0x60000024)
BAD_CONTENT = (400, 6, "Invalid Content", "badJsonContent", 0x60001000)
BAD_PARAMETERS = (400, 6, "Invalid Content", "badParameters", 0x60000001)
DEVICE_ERROR = (500, 3, "Device Error", "deviceError", 0x30000001)


def status(code: tuple[int, int, str, str, int], *, url: str = "", message: str = "") -> dict:
    _http, status_code, string, sub, error_code = code
    answer = {
        "statusCode": status_code,
        "statusString": string,
        "subStatusCode": sub,
        "errorCode": error_code,
        "errorMsg": message or sub,
    }
    if url:
        answer["requestURL"] = url
    return answer


class Refused(Exception):
    """A request the device answers with an error ResponseStatus."""

    def __init__(self, code: tuple[int, int, str, str, int], message: str = "") -> None:
        super().__init__(message or code[3])
        self.code = code
        self.message = message


def _check_person(person: Any, *, partial: bool) -> str:
    """The employeeNo of a well-formed UserInfo object, or raise Refused."""
    if not isinstance(person, dict):
        raise Refused(BAD_CONTENT, "UserInfo must be an object")
    employee = person.get("employeeNo")
    if not isinstance(employee, str) or not employee:
        raise Refused(BAD_PARAMETERS, "employeeNo")
    if len(employee.encode()) > EMPLOYEE_NO_MAX_BYTES:
        raise Refused(BAD_PARAMETERS, "employeeNo too long")
    name = person.get("name")
    if name is not None and (not isinstance(name, str) or len(name.encode()) > NAME_MAX_BYTES):
        raise Refused(BAD_PARAMETERS, "name too long")
    if not partial and not name:
        raise Refused(BAD_PARAMETERS, "name")
    valid = person.get("Valid")
    if valid is not None:
        if not isinstance(valid, dict):
            raise Refused(BAD_CONTENT, "Valid")
        for key in ("beginTime", "endTime"):
            if key in valid and not (isinstance(valid[key], str) and TIME.match(valid[key])):
                raise Refused(BAD_PARAMETERS, f"Valid.{key}")
        if "enable" in valid and not isinstance(valid["enable"], bool):
            raise Refused(BAD_PARAMETERS, "Valid.enable")
    elif not partial:
        raise Refused(BAD_PARAMETERS, "Valid")
    return employee


class Device:
    """Persons by employeeNo, in the order they were added (as a terminal lists them)."""

    def __init__(self, *, fail_employees: set[str] | None = None, batch_record: bool = True):
        self.persons: dict[str, dict[str, Any]] = {}
        self.fail_employees = set(fail_employees or ())
        self.batch_record = batch_record
        self.delete_status = "success"
        self.lock = threading.Lock()

    # --- writes ----------------------------------------------------------------------------

    def _record_one(self, person: Any) -> str:
        employee = _check_person(person, partial=False)
        if employee in self.fail_employees:
            raise Refused(DEVICE_ERROR, "personInfoWriteFailed")
        if employee in self.persons:
            raise Refused(ALREADY_EXISTS)
        stored = dict(person)
        stored.setdefault("userType", "normal")
        stored["Valid"] = {"timeType": "local", **person["Valid"]}
        stored["Valid"].setdefault("enable", True)
        self.persons[employee] = stored
        return employee

    def record(self, body: Any, url: str) -> tuple[int, dict]:
        """POST /ISAPI/AccessControl/UserInfo/Record: one object, or (batch_record) an array
        answered person by person."""
        people = body.get("UserInfo") if isinstance(body, dict) else None
        with self.lock:
            if isinstance(people, list):
                if not self.batch_record or not people:
                    return BAD_CONTENT[0], status(BAD_CONTENT, url=url)
                out = []
                for person in people:
                    employee = person.get("employeeNo", "") if isinstance(person, dict) else ""
                    try:
                        self._record_one(person)
                        code, message = OK, "Operation completed."
                    except Refused as refused:
                        code, message = refused.code, refused.message
                    out.append({"employeeNo": employee, **status(code, message=message)})
                return 200, {"UserInfoOutList": {"UserInfoOut": out}}
            try:
                self._record_one(people)
            except Refused as refused:
                return refused.code[0], status(refused.code, url=url, message=refused.message)
            return 200, status(OK, url=url)

    def modify(self, body: Any, url: str) -> tuple[int, dict]:
        """PUT /ISAPI/AccessControl/UserInfo/Modify: one object; the fields given replace
        the stored ones (Valid as a whole)."""
        person = body.get("UserInfo") if isinstance(body, dict) else None
        with self.lock:
            try:
                employee = _check_person(person, partial=True)
                if employee in self.fail_employees:
                    raise Refused(DEVICE_ERROR, "personInfoWriteFailed")
                if employee not in self.persons:
                    raise Refused(NOT_EXISTS)
            except Refused as refused:
                return refused.code[0], status(refused.code, url=url, message=refused.message)
            stored = self.persons[employee]
            for key, value in person.items():
                if key == "Valid":
                    stored["Valid"] = {**stored["Valid"], **value}
                else:
                    stored[key] = value
            return 200, status(OK, url=url)

    def delete(self, body: Any, url: str) -> tuple[int, dict]:
        """PUT /ISAPI/AccessControl/UserInfoDetail/Delete (mode byEmployeeNo). The terminal
        works on it in the background; DeleteProcess tells how it went. A person that
        cannot be deleted stays and the process ends "failed"."""
        detail = body.get("UserInfoDetail") if isinstance(body, dict) else None
        if not isinstance(detail, dict):
            return BAD_CONTENT[0], status(BAD_CONTENT, url=url)
        mode = detail.get("mode", "byEmployeeNo")
        with self.lock:
            if mode == "all":
                kept = {k: v for k, v in self.persons.items() if k in self.fail_employees}
                self.persons = kept
                self.delete_status = "failed" if kept else "success"
                return 200, status(OK, url=url)
            listed = detail.get("EmployeeNoList")
            if mode != "byEmployeeNo" or not isinstance(listed, list):
                return BAD_PARAMETERS[0], status(BAD_PARAMETERS, url=url)
            failed = False
            for item in listed:
                employee = item.get("employeeNo") if isinstance(item, dict) else None
                if employee in self.fail_employees:
                    failed = True
                    continue
                self.persons.pop(employee, None)
            self.delete_status = "failed" if failed else "success"
            return 200, status(OK, url=url)

    def delete_process(self) -> dict:
        return {"UserInfoDetailDeleteProcess": {"status": self.delete_status}}

    # --- reads -----------------------------------------------------------------------------

    def search(self, body: Any) -> tuple[int, dict]:
        """POST /ISAPI/AccessControl/UserInfo/Search: at most 30 a page."""
        cond = body.get("UserInfoSearchCond") if isinstance(body, dict) else None
        if not isinstance(cond, dict):
            return BAD_CONTENT[0], status(BAD_CONTENT)
        try:
            position = int(cond.get("searchResultPosition", 0))
            wanted = int(cond.get("maxResults", SEARCH_MAX_RESULTS))
        except (TypeError, ValueError):
            return BAD_PARAMETERS[0], status(BAD_PARAMETERS)
        if position < 0 or wanted < 1:
            return BAD_PARAMETERS[0], status(BAD_PARAMETERS)
        with self.lock:
            people = list(self.persons.values())
            listed = cond.get("EmployeeNoList")
            if isinstance(listed, list):
                names = {i.get("employeeNo") for i in listed if isinstance(i, dict)}
                people = [p for p in people if p["employeeNo"] in names]
            page = [_copy(p) for p in people[position : position + min(wanted, 30)]]
        more = position + len(page) < len(people)
        answer: dict[str, Any] = {
            "searchID": str(cond.get("searchID", "")),
            "responseStatusStrg": "MORE" if more else ("OK" if page else "NO MATCH"),
            "numOfMatches": len(page),
            "totalMatches": len(people),
        }
        if page:
            answer["UserInfo"] = page
        return 200, {"UserInfoSearch": answer}

    def count(self) -> dict:
        with self.lock:
            return {"UserInfoCount": {"userNumber": len(self.persons)}}

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return [_copy(p) for p in self.persons.values()]


def _copy(person: dict[str, Any]) -> dict[str, Any]:
    copied = dict(person)
    copied["Valid"] = dict(person["Valid"])
    return copied


def device_info_xml() -> str:
    """GET /ISAPI/System/deviceInfo answers XML even on JSON-speaking terminals."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<DeviceInfo version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">\n'
        "<deviceName>isapisim</deviceName>\n"
        f"<model>{MODEL}</model>\n"
        f"<firmwareVersion>{FIRMWARE.split(' (')[0]}</firmwareVersion>\n"
        "<deviceType>ACS</deviceType>\n"
        "</DeviceInfo>\n"
    )
