"""Requests for the `scan_verify` bench scenario: online verification by a controller.

Each request carries a fresh pass (its own nonce, so no replay) signed now in the bench
client's process, and the controller's HMAC over timestamp and body — what a gate that
cannot verify offline sends per scan."""

from __future__ import annotations

import json
from collections.abc import Callable

from bench.loadgen import Request
from communities.models import GateController
from gatesync.auth import TO_PORTAL, signed_headers_v2
from riders.models import AccessGrant, GrantSource, GrantStatus, Platform, Rider
from riders.services.keys import pass_token_issue, pass_token_signer


def verify_requests(community) -> Callable[[int], Request]:
    controller = (
        GateController.objects.select_related("gate")
        .filter(gate__community=community, gate__open_to_riders=True)
        .order_by("pk")
        .first()
    )
    if not controller.enabled:  # another bench may have left it switched off
        GateController.objects.filter(pk=controller.pk).update(enabled=True)
    platform, _ = Platform.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    rider, _ = Rider.objects.get_or_create(
        platform=platform,
        platform_rider_id="bench-verify",
        defaults={"name": "Bench Rider", "verified_by_platform": True},
    )
    grant, _ = AccessGrant.objects.update_or_create(
        rider=rider,
        community=community,
        defaults={
            "status": GrantStatus.ACTIVE,
            "source": GrantSource.PLATFORM,
            "valid_until": None,
        },
    )
    gate_code = controller.gate.entry_code
    secret = controller.secret
    pass_token_issue(grant=grant)  # makes sure a signing key exists
    sign = pass_token_signer()  # the loader's loop must not touch the database

    def make(n: int) -> Request:
        body = json.dumps({"token": sign(grant), "gate": gate_code, "direction": "in"}).encode()
        signed = signed_headers_v2(
            controller_id=controller.pk,
            secret=secret,
            direction=TO_PORTAL,
            method="POST",
            path="/api/v1/gates/verify",
            body=body,
        )
        return Request(
            method="POST",
            path="/api/v1/gates/verify",
            headers=(("Content-Type", "application/json"), *signed.items()),
            body=body,
        )

    return make
