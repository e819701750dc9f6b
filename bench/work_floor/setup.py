"""The work floor's set-up, in `bench.run`'s process with Django on the bench database:
its two tables (made afresh each run from the migrated riders tables, so their shape
follows every migration), the scan_verify grant copied into its grants table, the
settings file its server reads (BENCH_WORK_FLOOR_CONFIG), and its requests: the same body
as scan_verify's (a fresh pass per request, signed now) and the same headers, signed by
its own code so a change to the portal's request signing never breaks the floor."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from bench.loadgen import Request

GRANT_TABLE = "bench_work_floor_grant"
EVENT_TABLE = "bench_work_floor_event"
CONFIG_ENV = "BENCH_WORK_FLOOR_CONFIG"


def tables_ensure() -> None:
    """(Re)make the work floor's tables as copies of riders_accessgrant's and
    riders_accessevent's columns, defaults, checks and indexes (PostgreSQL: LIKE ...
    INCLUDING ALL; foreign keys are not copied)."""
    from django.db import connection

    from riders.models import AccessEvent, AccessGrant

    pairs = ((GRANT_TABLE, AccessGrant._meta.db_table), (EVENT_TABLE, AccessEvent._meta.db_table))
    with connection.cursor() as cursor:
        for new, old in pairs:
            cursor.execute(f"DROP TABLE IF EXISTS {new}")
            cursor.execute(f"CREATE TABLE {new} (LIKE {old} INCLUDING ALL)")


def config_path() -> Path:
    return Path(os.environ[CONFIG_ENV])


def work_floor_requests(community, *, nonce_prefix: str) -> Callable[[int], Request]:
    """Set the work floor up for `community`'s scan_verify grant and controller; its
    requests. Writes the server's settings file (CONFIG_ENV)."""
    from django.db import connection

    from bench.scan_verify import verify_requests
    from communities.models import GateController
    from riders.models import AccessGrant
    from riders.services.keys import jwks, pass_token_signer

    verify_requests(community)  # the controller enabled, the bench rider's active grant, a key
    controller = (
        GateController.objects.select_related("gate")
        .filter(gate__community=community, gate__open_to_riders=True)
        .order_by("pk")
        .first()
    )
    grant = AccessGrant.objects.get(
        rider__platform__code="bench", rider__platform_rider_id="bench-verify", community=community
    )
    tables_ensure()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {GRANT_TABLE} SELECT * FROM {AccessGrant._meta.db_table} WHERE id = %s",
            [grant.pk],
        )
    keys = {key["kid"]: key["x"] for key in jwks()["keys"] if key.get("crv") == "Ed25519"}
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "controller": controller.pk,
                "secret": controller.secret,
                "gate": controller.gate_id,
                "community": community.pk,
                "keys": keys,
                "grant_table": GRANT_TABLE,
                "event_table": EVENT_TABLE,
                "nonce_prefix": nonce_prefix,
            }
        )
    )
    sign = pass_token_signer()  # no database access in the loader's loop
    secret, gate_code = controller.secret.encode(), controller.gate.entry_code

    def make(n: int) -> Request:
        body = json.dumps({"token": sign(grant), "gate": gate_code, "direction": "in"}).encode()
        stamp = int(time.time())
        signature = hmac.new(secret, f"{stamp}\n".encode() + body, hashlib.sha256).hexdigest()
        return Request(
            method="POST",
            path="/api/v1/gates/verify",
            headers=(
                ("Content-Type", "application/json"),
                ("X-L100-Controller", str(controller.pk)),
                ("X-L100-Timestamp", str(stamp)),
                ("X-L100-Signature", signature),
            ),
            body=body,
        )

    return make
