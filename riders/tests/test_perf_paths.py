"""The two hot paths of issue #3 stay lean: online verification (a plain Django view,
the controller from the process's cache, the grant and the community's rules in one
query) and one-click registration (no savepoint of its own, the rider in one upsert).
Query counts are asserted, never times; the speed itself is `make bench`."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Gate
from communities.services import rules_publish
from communities.tests.factories import GateControllerFactory, GateFactory
from gatesync.documents import head_version
from gatesync.models import AccessChange, AccessListEntry
from riders.models import AccessEvent, AccessGrant, GrantStatus, Rider, UsedAssertion
from riders.services.assertions import AssertionRefused, assertion_consume, assertion_verify
from riders.services.devices import rider_for_device
from riders.services.gates import gate_for_code
from riders.services.keys import pass_token_issue
from riders.tests import test_verify_api as verify_tests
from riders.tests.factories import AccessGrantFactory, controller_meta, sign_assertion

pytestmark = pytest.mark.django_db

# The verify tests' fixtures and signed request (one copy of each).
URL = verify_tests.URL
signed_post = verify_tests.signed_post
controller = verify_tests.controller
grant = verify_tests.grant
_fresh_cache = verify_tests._fresh_cache

# Statements gate sync adds inside grant_request's transaction (head, entry, change log).
GATE_SYNC_WRITES = 3


def scan(client, controller, gate, grant, **extra):
    return signed_post(
        client,
        controller,
        {"token": pass_token_issue(grant=grant), "gate": gate.entry_code, **extra},
    )


# --- online verification ------------------------------------------------------------------


def test_a_warm_scan_costs_two_queries_the_grant_with_rules_and_the_event(
    client, controller, gate, grant
):
    assert scan(client, controller, gate, grant).json()["decision"] == "open"  # warms caches
    token = pass_token_issue(grant=grant)
    with CaptureQueriesContext(connection) as queries:
        response = signed_post(client, controller, {"token": token, "gate": gate.entry_code})
    body = response.json()
    assert (body["decision"], body["reason"]) == ("open", "ok"), body
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2, sql
    assert "riders_accessgrant" in sql[0] and "communities_deliveryrules" in sql[0]
    assert sql[1].startswith("INSERT INTO") and "riders_accessevent" in sql[1]
    assert AccessEvent.objects.filter(event_id=body["event_id"], decision="open").exists()


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_scans_two_statements_are_prepared_on_its_connection(client, controller, gate, grant):
    """Planned once per connection, not per scan; Django's own statements are neither
    prepared nor counted by psycopg (their text holds their values)."""
    for _ in range(2):
        assert scan(client, controller, gate, grant).json()["decision"] == "open"
    prepared = _prepared_statements()
    assert any(
        "riders_accessgrant" in sql and "communities_deliveryrules" in sql for sql in prepared
    )
    assert any(sql.startswith("INSERT INTO") and "riders_accessevent" in sql for sql in prepared)
    assert not any("pg_prepared_statements" in sql for sql in prepared)
    Rider.objects.filter(name="someone's name").exists()
    assert connection.connection.prepare_threshold is None
    assert not connection.connection._prepared._counts


def test_with_prepared_statements_off_a_scan_decides_unprepared(
    client, controller, gate, grant, settings
):
    """DB_PREPARED_STATEMENTS=false (behind a pooler that cannot carry them): the same
    statements run, planned each time."""
    settings.DB_PREPARED_STATEMENTS = False
    connection.ensure_connection()
    connection.connection._prepared.clear()
    for _ in range(2):
        body = scan(client, controller, gate, grant).json()
        assert (body["decision"], body["reason"]) == ("open", "ok"), body
    assert _prepared_statements() == []


def _alter_elsewhere(sql: str) -> None:
    """`sql` run on a connection of its own, as a migration in another process would."""
    with psycopg.connect(
        host=connection.settings_dict["HOST"] or None,
        port=connection.settings_dict["PORT"] or None,
        user=connection.settings_dict["USER"] or None,
        dbname=connection.settings_dict["NAME"],
        autocommit=True,
    ) as other:
        other.execute(sql)


@pytest.mark.django_db(transaction=True)
def test_a_column_type_changed_by_another_process_does_not_break_scans(gate, rider, community):
    """A rolling deploy's migration changes a column the prepared statements return:
    PostgreSQL refuses them ("cached plan must not change result type"); the scan runs
    its statement unprepared and the connection is dropped at the request's end."""
    controller = GateControllerFactory(gate=gate, secret="controller-secret")
    grant = AccessGrantFactory(rider=rider, community=community)
    client = Client(raise_request_exception=False)
    assert scan(client, controller, gate, grant).status_code == 200  # prepared
    assert gate_for_code(gate.entry_code)[0] == gate  # prepared
    _alter_elsewhere("ALTER TABLE riders_rider ALTER COLUMN name TYPE varchar(150)")
    _alter_elsewhere("ALTER TABLE communities_community ALTER COLUMN name TYPE varchar(250)")
    try:
        answers = [scan(client, controller, gate, grant) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.json()["reason"] for a in answers] == ["ok", "ok", "ok"]
        assert gate_for_code(gate.entry_code)[0] == gate
    finally:
        connection.close()
        _alter_elsewhere("ALTER TABLE riders_rider ALTER COLUMN name TYPE varchar(100)")
        _alter_elsewhere("ALTER TABLE communities_community ALTER COLUMN name TYPE varchar(200)")


def test_a_scan_after_a_rolled_back_statement_prepares_again_and_decides(
    client, controller, gate, grant
):
    """psycopg forgets its prepared statements when the connection rolls back (here a
    savepoint's); the kept cursor must prepare them again, not name ones that are gone."""
    assert scan(client, controller, gate, grant).json()["decision"] == "open"
    with pytest.raises(IntegrityError), transaction.atomic():
        Rider.objects.create(
            platform=grant.rider.platform, platform_rider_id=grant.rider.platform_rider_id, name="x"
        )
    body = scan(client, controller, gate, grant).json()
    assert (body["decision"], body["reason"]) == ("open", "ok"), body
    assert AccessEvent.objects.filter(event_id=body["event_id"], decision="open").exists()


def test_a_scan_on_a_new_connection_gets_a_cursor_of_its_own(client, controller, gate, grant):
    assert scan(client, controller, gate, grant).json()["decision"] == "open"
    kept = connections[DEFAULT_DB_ALIAS]._prepared_cursor
    kept[1].close()  # as when its connection went away
    body = scan(client, controller, gate, grant).json()
    assert (body["decision"], body["reason"]) == ("open", "ok"), body
    assert connections[DEFAULT_DB_ALIAS]._prepared_cursor[1] is not kept[1]


def test_the_riders_photo_in_the_answer_is_a_link_that_serves_it(
    client, controller, gate, grant, tmp_path
):
    """The answer's rider is read from the scan's row (no Rider instance): its photo link
    is the one the model's own field would give, and it serves the photo."""
    storage = Rider._meta.get_field("photo").storage
    original = storage.location
    storage.location = str(tmp_path)  # the storage was made at start-up
    name = storage.save("riders/face.jpg", ContentFile(b"\xff\xd8 a photo"))
    Rider.objects.filter(pk=grant.rider_id).update(photo=name)
    try:
        rider = scan(client, controller, gate, grant).json()["rider"]
        path = rider["photo_url"].removeprefix("http://testserver")
        assert path.startswith("/media-p/riders/face.jpg:"), rider
        served = client.get(path)
        assert served.status_code == 200
        assert b"".join(served.streaming_content) == b"\xff\xd8 a photo"
        assert rider["platform"] == grant.rider.platform.name
        assert rider["station"] == grant.rider.station
    finally:
        storage.location = original


def test_rules_read_with_the_grant_still_decide(client, controller, gate, grant, community):
    rules_publish(
        community=community, acting_user=None, entry_policy="no_entry", handoff_point="Gate"
    )
    assert scan(client, controller, gate, grant).json()["reason"] == "no_entry"
    rules_publish(community=community, acting_user=None, entry_policy="open")
    assert scan(client, controller, gate, grant).json()["reason"] == "ok"


def test_disabling_a_controller_or_changing_its_secret_takes_effect_at_once(
    client, controller, gate, grant
):
    assert scan(client, controller, gate, grant).status_code == 200  # now in the cache
    old_secret = controller.secret
    controller.secret = "a-new-secret"
    controller.save()
    response = signed_post(
        client,
        controller,
        {"token": pass_token_issue(grant=grant), "gate": gate.entry_code},
        secret=old_secret,
    )
    assert response.status_code == 403
    assert scan(client, controller, gate, grant).status_code == 200
    controller.enabled = False
    controller.save()
    assert scan(client, controller, gate, grant).status_code == 403


def test_closing_the_gate_to_riders_takes_effect_at_once(client, controller, gate, grant):
    assert scan(client, controller, gate, grant).json()["decision"] == "open"
    gate.open_to_riders = False
    gate.save()
    body = scan(client, controller, gate, grant).json()
    assert (body["decision"], body["reason"]) == ("deny", "gate_closed_to_riders")


def test_a_guard_session_needs_the_csrf_token(gate, grant, staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    payload = {"token": pass_token_issue(grant=grant), "gate": gate.entry_code}
    refused = client.post(URL, payload, content_type="application/json")
    assert refused.status_code == 403 and not AccessEvent.objects.exists()
    client.get(reverse("riders:guard_console", args=[gate.entry_code]))
    token = client.cookies["csrftoken"].value
    response = client.post(URL, payload, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["decision"] == "open"


def test_bad_bodies_and_methods_get_the_same_answers_as_before(client, controller, gate):
    assert client.get(URL).status_code == 405
    body = b"{not json"
    response = client.post(
        URL, body, content_type="application/json", **controller_meta(controller, "POST", URL, body)
    )
    assert response.status_code == 400
    response = signed_post(client, controller, {"gate": gate.entry_code, "direction": "up"})
    errors = response.json()["errors"]
    assert response.status_code == 400 and set(errors) == {"token", "direction"}
    response = signed_post(client, controller, {"token": "x" * 2000, "gate": gate.entry_code})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"token"}
    assert not AccessEvent.objects.exists()


def test_the_schema_still_documents_verify(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/gates/verify"]["post"]
    assert operation["summary"] == "Verify a rider's pass online"
    assert set(operation["responses"]) == {"200", "400", "403", "404"}
    assert "requestBody" in operation


# --- one-click registration ---------------------------------------------------------------


def _values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_gate_by_code_is_what_the_orm_loads_in_one_prepared_query(
    gate, django_assert_num_queries
):
    """gate_for_code reads the gate, community and company from one prepared statement:
    the same field values as select_related, and nothing left to load."""
    orm = Gate.objects.select_related("community__company").get(pk=gate.pk)
    with django_assert_num_queries(1):
        found, replaced = gate_for_code(gate.entry_code)
        company_name = found.community.company.name  # no query: loaded with the gate
    assert replaced is False and company_name == orm.community.company.name
    assert _values(found) == _values(orm)
    assert _values(found.community) == _values(orm.community)
    assert _values(found.community.company) == _values(orm.community.company)
    assert gate_for_code(gate.entry_code + "\x00") == (None, False)
    assert gate_for_code("\ud800") == (None, False)


def link(gate, token: str) -> str:
    return reverse("riders:register", args=[gate.entry_code]) + "?assertion=" + token


def test_one_click_registration_of_a_new_rider_costs_at_most_13_own_statements(
    client, gate, platform
):
    token = sign_assertion(platform, sub="R900", name="韩梅梅", plate="沪B54321")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(link(gate, token))
    assert response.status_code == 302
    sql = [q["sql"] for q in queries.captured_queries]
    # gate, key+platform, savepoint, jti, rider upsert, rules, grant_request (existing?,
    # savepoint, grant, audit, release), release, device row.
    assert len(sql) - GATE_SYNC_WRITES <= 13, "\n".join(sql)
    assert sum("riders_platform" in s and "riders_platformkey" in s for s in sql[:2]) == 1
    rider = Rider.objects.get(platform=platform, platform_rider_id="R900")
    assert (rider.name, rider.vehicle_plate, rider.verified_by_platform) == (
        "韩梅梅",
        "沪B54321",
        True,
    )
    grant = AccessGrant.objects.get(rider=rider, community=gate.community)
    assert grant.status == GrantStatus.ACTIVE


@pytest.mark.django_db(transaction=True)  # real BEGIN/COMMIT and on-commit hooks
def test_a_new_riders_registration_takes_the_community_lock_in_its_last_statement(
    client, gate, platform
):
    """Registrations of one community queue on its access list head from the bump to
    COMMIT: on PostgreSQL the bump, list entry and change row are one statement, the last
    before COMMIT; the jti, the rider, the device row and the entry policy are one
    statement before it; a new rider needs neither a look-up of its grant nor a
    savepoint."""
    token = sign_assertion(platform, sub="R903", name="韩梅梅")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(link(gate, token))
    assert response.status_code == 302
    assert settings.RIDERS_DEVICE_COOKIE in response.cookies
    sql = [q["sql"] for q in queries.captured_queries]
    # gate, key+platform, BEGIN, jti+rider+device+entry policy, grant, audit, gate sync
    # (which also reads the controllers to push to after commit), COMMIT.
    assert len(sql) == 8, "\n".join(sql)
    heads = [i for i, s in enumerate(sql) if "riders_accesslisthead" in s]
    assert len(heads) == 1 and sql[heads[0] + 1] == "COMMIT", "\n".join(sql)
    assert "riders_accesslistentry" in sql[heads[0]] and "riders_accesschange" in sql[heads[0]]
    assert heads[0] > next(i for i, s in enumerate(sql) if "riders_riderdevice" in s)
    assert not any("SAVEPOINT" in s for s in sql)
    rider = Rider.objects.get(platform=platform, platform_rider_id="R903")
    grant = AccessGrant.objects.get(rider=rider, community=gate.community)
    entry = AccessListEntry.objects.get(grant=grant)
    change = AccessChange.objects.get(community=gate.community, grant_id=grant.pk)
    assert entry.version == change.version == head_version(gate.community_id)
    assert change.payload == {"entry": entry.as_list()} and change.cause == "request"
    assert rider.devices.count() == 1


def test_a_replayed_jti_writes_nothing_not_even_the_riders_new_claims(client, gate, platform):
    first = sign_assertion(platform, sub="R904", name="王芳", jti="once")
    assert client.get(link(gate, first)).status_code == 302
    client.cookies.clear()
    again = sign_assertion(platform, sub="R904", name="Someone Else", jti="once")
    response = client.get(link(gate, again))
    assert response.status_code == 410
    assert settings.RIDERS_DEVICE_COOKIE not in response.cookies
    rider = Rider.objects.get(platform=platform, platform_rider_id="R904")
    assert rider.name == "王芳" and rider.devices.count() == 1
    fresh = sign_assertion(platform, sub="R905", jti="once")  # same jti, new rider
    assert client.get(link(gate, fresh)).status_code == 410
    assert not Rider.objects.filter(platform=platform, platform_rider_id="R905").exists()


def test_a_phone_handed_to_another_rider_becomes_theirs(client, gate, platform):
    assert client.get(link(gate, sign_assertion(platform, sub="R906"))).status_code == 302
    # Asked first (test_one_click_confirmation.py), then replaced on the POST.
    token = sign_assertion(platform, sub="R907")
    assert client.get(link(gate, token)).status_code == 200
    url = reverse("riders:register", args=[gate.entry_code])
    response = client.post(url, {"assertion": token, "replace": "1"})
    assert response.status_code == 302
    token = response.cookies[settings.RIDERS_DEVICE_COOKIE].value
    first, second = (
        Rider.objects.get(platform=platform, platform_rider_id=sub) for sub in ("R906", "R907")
    )
    # The first rider's device row went with the phone (it listed a phone no browser holds).
    assert (first.devices.count(), second.devices.count()) == (0, 1)
    assert rider_for_device(token) == second


def test_registering_again_updates_the_claims_and_keeps_the_rest(client, gate, platform, rider):
    rider.phone = "13900000000"
    rider.platform_active = False
    rider.save()
    created_at = rider.created_at
    response = client.get(
        link(gate, sign_assertion(platform, sub="R123", name="李雷雷", phone=None))
    )
    assert response.status_code == 403  # the platform deactivated this rider
    rider.refresh_from_db()
    assert rider.name == "李雷雷" and rider.phone == "13900000000"
    assert rider.platform_active is False and rider.created_at == created_at
    assert Rider.objects.filter(platform=platform, platform_rider_id="R123").count() == 1
    assert not AccessGrant.objects.filter(rider=rider).exists()


def test_a_jti_is_claimed_once_without_a_savepoint(gate, platform):
    verified = assertion_verify(sign_assertion(platform, sub="R901"))
    with CaptureQueriesContext(connection) as queries:
        assertion_consume(verified)
    assert len(queries.captured_queries) == 1
    with pytest.raises(AssertionRefused) as refused:
        assertion_consume(verified)
    assert refused.value.code == "replayed"
    assert UsedAssertion.objects.filter(jti=verified.claims["jti"]).count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("unknown_platform", "unknown_platform"),
        ("inactive_platform", "platform_inactive"),
        ("unknown_kid", "unknown_key"),
        ("no_kid", "unknown_key"),
    ],
)
def test_the_joined_key_lookup_keeps_every_refusal(platform, change, code):
    if change == "unknown_platform":
        token = sign_assertion(platform, iss="nobody")
    elif change == "inactive_platform":
        platform.active = False
        platform.save()
        token = sign_assertion(platform)
    elif change == "unknown_kid":
        token = sign_assertion(platform, headers={"kid": "no-such-key"})
    else:
        token = sign_assertion(platform, headers={"kid": ""})
    with pytest.raises(AssertionRefused) as refused:
        assertion_verify(token)
    assert refused.value.code == code


def test_two_gates_of_one_community_make_one_rider_and_one_grant(client, gate, platform):
    other = GateFactory(community=gate.community, name="South Gate")
    for where in (gate, other):
        assert client.get(link(where, sign_assertion(platform, sub="R902"))).status_code == 302
    rider = Rider.objects.get(platform=platform, platform_rider_id="R902")
    assert AccessGrant.objects.filter(rider=rider).count() == 1
