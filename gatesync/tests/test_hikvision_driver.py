"""The hikvision_isapi driver over real HTTP against the fake terminal (tools.isapisim,
run as a process): persons from snapshots and deltas through the push service, HTTP
Digest auth, wrong passwords, persons that fail and a retry that converges."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import urllib.request
from typing import Any

import pytest
import requests
from django.utils import timezone
from requests.auth import HTTPDigestAuth

from bench.procs import ROOT, free_port, wait_until
from communities.models import EntryPolicy, GateController
from communities.services import rules_publish
from communities.tests.factories import GateControllerFactory
from gatesync.documents import head_version, snapshot_document
from gatesync.drivers import DriverError, driver_for
from gatesync.drivers.hikvision import FAR_END, HikvisionDriver, truncate_utf8
from gatesync.models import ControllerSync
from gatesync.push import controller_push
from riders.models import AccessGrant, GrantSource
from riders.services.grants import grant_request, grant_revoke, grant_set_validity
from riders.tests.factories import RiderFactory

pytestmark = pytest.mark.django_db
USER, PASSWORD = "admin", "Terminal-PW-1"


class Terminal:
    """`python -m tools.isapisim` on a free port."""

    def __init__(self, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tools.isapisim",
                "--port",
                str(self.port),
                "--user",
                USER,
                "--password",
                PASSWORD,
                *extra,
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: self.persons() is not None, timeout=15)

    def persons(self) -> dict[str, dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/debug/persons", timeout=3) as response:
            return {p["employeeNo"]: p for p in json.loads(response.read())["persons"]}

    def fail(self, *employees: str) -> None:
        request = urllib.request.Request(
            f"{self.url}/debug/fail",
            data=json.dumps({"employees": list(employees)}).encode(),
            method="PUT",
        )
        urllib.request.urlopen(request, timeout=3).close()

    def session(self, password: str = PASSWORD) -> requests.Session:
        session = requests.Session()
        session.auth = HTTPDigestAuth(USER, password)
        return session

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def terminal():
    started = Terminal()
    yield started
    started.stop()


def controller_for(gate, terminal: Terminal, *, password: str = PASSWORD) -> GateController:
    return GateControllerFactory(
        gate=gate,
        driver=GateController.Driver.HIKVISION_ISAPI,
        endpoint=terminal.url + "/",
        username=USER,
        secret=password,
    )


def grant_for(community, name: str) -> AccessGrant:
    rider = RiderFactory(name=name)
    return grant_request(
        rider=rider, community=community, source=GrantSource.PLATFORM, acting_user=None
    )


# A person the portal did not write (a resident's card): valid from a year ago for three
# years, whatever today is.
RESIDENT_FROM = (timezone.localtime() - dt.timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%S")
RESIDENT_UNTIL = (timezone.localtime() + dt.timedelta(days=3 * 365)).strftime("%Y-%m-%dT%H:%M:%S")


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S")


def expected(grant: AccessGrant, *, enable: bool = True) -> tuple[str, bool, str, str]:
    """A person as the terminal should hold it, worked out from the grant itself."""
    until = (
        FAR_END.strftime("%Y-%m-%dT%H:%M:%S")
        if grant.valid_until is None
        else local(grant.valid_until - dt.timedelta(seconds=1))
    )
    return (truncate_utf8(grant.rider.name), enable, local(grant.valid_from), until)


def held(terminal: Terminal) -> dict[str, tuple[str, bool, str, str]]:
    return {
        number: (p["name"], p["Valid"]["enable"], p["Valid"]["beginTime"], p["Valid"]["endTime"])
        for number, p in terminal.persons().items()
    }


def record(terminal: Terminal, *people: dict[str, Any]) -> None:
    """Put persons on the terminal the way its own web page would (not through us)."""
    session = terminal.session()
    for person in people:
        answer = session.post(
            f"{terminal.url}/ISAPI/AccessControl/UserInfo/Record?format=json",
            json={"UserInfo": person},
            timeout=5,
        )
        assert answer.json()["statusCode"] == 1, answer.text


def person(number: str, name: str, *, enable: bool = True) -> dict[str, Any]:
    return {
        "employeeNo": number,
        "name": name,
        "userType": "normal",
        "Valid": {
            "enable": enable,
            "beginTime": RESIDENT_FROM,
            "endTime": RESIDENT_UNTIL,
        },
    }


def test_the_terminal_wants_http_digest_auth(terminal):
    url = f"{terminal.url}/ISAPI/AccessControl/UserInfo/Count?format=json"
    bare = requests.get(url, timeout=5)
    assert bare.status_code == 401
    challenge = bare.headers["WWW-Authenticate"]
    assert challenge.startswith("Digest ") and 'qop="auth"' in challenge and "nonce=" in challenge
    assert requests.get(url, auth=HTTPDigestAuth(USER, "wrong"), timeout=5).status_code == 401
    good = requests.get(url, auth=HTTPDigestAuth(USER, PASSWORD), timeout=5)
    assert good.status_code == 200 and good.json() == {"UserInfoCount": {"userNumber": 0}}
    # The same Authorization header again (same nonce count) is a replay: refused.
    replay = requests.get(
        url, headers={"Authorization": good.request.headers["Authorization"]}, timeout=10
    )
    assert replay.status_code == 401


def test_a_snapshot_fills_an_empty_terminal(community, gate, terminal):
    controller = controller_for(gate, terminal)
    plain = grant_for(community, "李雷")
    long_name = grant_for(community, "欧阳" * 10)  # 60 bytes of UTF-8: the terminal takes 32
    open_ended = grant_for(community, "Han Meimei")
    open_ended = grant_set_validity(
        grant=open_ended, valid_from=open_ended.valid_from, valid_until=None, acting_user=None
    )

    outcome = controller_push(controller.pk)

    assert outcome.kind == "snapshot"
    assert outcome.version == head_version(community.pk)
    assert held(terminal) == {
        f"L100G{plain.pk}": expected(plain),
        f"L100G{long_name.pk}": expected(long_name),
        f"L100G{open_ended.pk}": expected(open_ended),
    }
    assert held(terminal)[f"L100G{long_name.pk}"][0] == "欧阳" * 5
    assert held(terminal)[f"L100G{open_ended.pk}"][3] == FAR_END.strftime("%Y-%m-%dT%H:%M:%S")
    stored = terminal.persons()[f"L100G{plain.pk}"]
    assert stored["RightPlan"] == [{"doorNo": 1, "planTemplateNo": "1"}]
    assert stored["doorRight"] == "1" and stored["userType"] == "normal"
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.version_held == outcome.version and sync.last_error == ""
    assert sync.last_push_bytes > 0


def test_a_snapshot_removes_stale_persons_fixes_changed_ones_and_leaves_others(
    community, gate, terminal
):
    controller = controller_for(gate, terminal)
    kept = grant_for(community, "Kept Rider")
    changed = grant_for(community, "Renamed Rider")
    revoked = grant_for(community, "Gone Rider")
    grant_revoke(grant=revoked, reason="left", acting_user=None)
    record(
        terminal,
        person("resident-0101", "A resident"),  # not ours: never touched
        person(f"L100G{revoked.pk}", "Gone Rider"),
        person("L100G999999", "Unknown"),
        person(f"L100G{changed.pk}", "Old Name", enable=False),
    )

    controller_push(controller.pk)

    assert held(terminal) == {
        "resident-0101": ("A resident", True, RESIDENT_FROM, RESIDENT_UNTIL),
        f"L100G{kept.pk}": expected(kept),
        f"L100G{changed.pk}": expected(changed),
    }
    # Again: everything agrees, so only the search is sent and nothing changes.
    driver = driver_for(GateController.objects.get(pk=controller.pk), timeout=5)
    doc = snapshot_document(controller_id=controller.pk, community_id=community.pk)
    before = terminal.persons()
    result = driver.push_snapshot(doc)
    assert terminal.persons() == before
    assert result.size == 2
    assert result.bytes_sent < 200  # one search request: any person written is more


def test_deltas_put_delete_and_follow_the_entry_policy(community, gate, terminal, staff_user):
    controller = controller_for(gate, terminal)
    first = grant_for(community, "First")
    second = grant_for(community, "Second")
    controller_push(controller.pk)

    third = grant_for(community, "Third")
    grant_revoke(grant=second, reason="left", acting_user=None)
    outcome = controller_push(controller.pk)
    assert outcome.kind == "delta"
    assert held(terminal) == {
        f"L100G{first.pk}": expected(first),
        f"L100G{third.pk}": expected(third),
    }

    # Owners voted riders out: every rider's person is switched off, none deleted.
    rules_publish(
        community=community,
        acting_user=staff_user,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="North gate cabinet",
    )
    assert controller_push(controller.pk).kind == "delta"
    assert held(terminal) == {
        f"L100G{first.pk}": expected(first, enable=False),
        f"L100G{third.pk}": expected(third, enable=False),
    }

    # A pass changed while no_entry holds (a delta without a policy change) stays off.
    later = timezone.now() + dt.timedelta(days=90)
    first = grant_set_validity(
        grant=first, valid_from=first.valid_from, valid_until=later, acting_user=None
    )
    assert controller_push(controller.pk).kind == "delta"
    assert held(terminal)[f"L100G{first.pk}"] == expected(first, enable=False)

    rules_publish(community=community, acting_user=staff_user, entry_policy=EntryPolicy.REGISTERED)
    controller_push(controller.pk)
    assert held(terminal) == {
        f"L100G{first.pk}": expected(first),
        f"L100G{third.pk}": expected(third),
    }
    assert ControllerSync.objects.get(controller=controller).version_held == head_version(
        community.pk
    )


def test_a_wrong_password_is_reported_and_not_retried(community, gate, terminal):
    controller = controller_for(gate, terminal, password="not-the-password")
    grant_for(community, "Someone")

    with pytest.raises(DriverError) as raised:
        controller_push(controller.pk)

    assert raised.value.retryable is False
    assert "401" in str(raised.value)
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.version_held is None and "401" in sync.last_error
    assert terminal.persons() == {}


def test_a_failing_person_is_named_the_others_applied_and_a_retry_converges(
    community, gate, terminal
):
    controller = controller_for(gate, terminal)
    good = grant_for(community, "Good")
    bad = grant_for(community, "Bad")
    terminal.fail(f"L100G{bad.pk}")

    with pytest.raises(DriverError) as raised:
        controller_push(controller.pk)
    assert raised.value.retryable is True
    assert f"L100G{bad.pk}" in str(raised.value) and f"L100G{good.pk}" not in str(raised.value)
    assert held(terminal) == {f"L100G{good.pk}": expected(good)}
    assert ControllerSync.objects.get(controller=controller).version_held is None

    terminal.fail()
    assert controller_push(controller.pk).kind == "snapshot"
    assert held(terminal) == {
        f"L100G{good.pk}": expected(good),
        f"L100G{bad.pk}": expected(bad),
    }

    # A delete that fails: the person is named, the other delete of the batch is done.
    terminal.fail(f"L100G{bad.pk}")
    grant_revoke(grant=bad, reason="left", acting_user=None)
    grant_revoke(grant=good, reason="left", acting_user=None)
    with pytest.raises(DriverError) as raised:
        controller_push(controller.pk)
    assert f"L100G{bad.pk} (delete failed)" in str(raised.value)
    assert set(terminal.persons()) == {f"L100G{bad.pk}"}

    terminal.fail()
    assert controller_push(controller.pk).kind == "delta"
    assert terminal.persons() == {}
    sync = ControllerSync.objects.get(controller=controller)
    assert sync.version_held == head_version(community.pk) and sync.last_error == ""


def test_a_terminal_without_batch_record_gets_persons_one_by_one(community, gate):
    terminal = Terminal("--single-record")
    try:
        controller = controller_for(gate, terminal)
        grants = [grant_for(community, f"Rider {n}") for n in range(3)]
        record(terminal, person(f"L100G{grants[0].pk}", "Old"))
        controller_push(controller.pk)
        assert held(terminal) == {f"L100G{g.pk}": expected(g) for g in grants}
    finally:
        terminal.stop()


def test_a_snapshot_pages_through_a_long_person_list(community, gate, terminal):
    controller = controller_for(gate, terminal)
    grants = [grant_for(community, f"Rider {n}") for n in range(45)]
    record(terminal, *(person(f"L100G{900000 + n}", "Stale") for n in range(40)))

    controller_push(controller.pk)

    assert held(terminal) == {f"L100G{g.pk}": expected(g) for g in grants}


def test_state_counts_persons_and_reads_the_firmware(community, gate, terminal):
    controller = controller_for(gate, terminal)
    record(terminal, person("resident-1", "A resident"))
    driver = driver_for(controller, timeout=5)
    assert isinstance(driver, HikvisionDriver) and driver.holds_version is False
    assert driver.state() == {"persons": 1, "firmware": "V2.2.0 build 250101"}


def test_truncating_a_name_keeps_whole_characters():
    assert truncate_utf8("李雷") == "李雷"
    assert truncate_utf8("欧阳" * 10) == "欧阳" * 5  # 30 bytes; a 33rd-byte cut is dropped
    assert truncate_utf8("a" + "雷" * 11) == "a" + "雷" * 10
    assert truncate_utf8("x" * 40) == "x" * 32
