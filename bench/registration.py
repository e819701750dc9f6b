"""Requests for the `registration` bench scenario (bench/scenarios.py): one-click
registration, GET /r/<gate-code>/?assertion=<JWT> without following the redirect.

Each request carries its own assertion (a jti is used once) for a new rider, signed in
advance by a bench platform whose private key lives only in this process; requests past
the pre-signed stock are signed on the fly (slower for the client, not for the server).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings

from communities import services as community_services
from communities.models import Community, EntryPolicy, Gate, PropertyCompany
from riders.models import Platform, PlatformKey
from riders.services.jwk import jwk_from_public_key

BENCH_PLATFORM = "bench-platform"
BENCH_COMMUNITY = "bench-riders"
PRESIGNED = 20_000


def _gate() -> Gate:
    community = Community.objects.filter(slug=BENCH_COMMUNITY).first()
    if community is None:
        company, _ = PropertyCompany.objects.get_or_create(
            slug="bench-property", defaults={"name": "Bench Property"}
        )
        community = community_services.community_create(
            acting_user=None,
            company=company,
            slug=BENCH_COMMUNITY,
            name="Bench Riders Court",
            entry_policy=EntryPolicy.REGISTERED,
            handoff_point="",
        )
    gate = community.gates.order_by("pk").first()
    if gate is None:
        gate = Gate.objects.create(community=community, name="Bench Gate", x_pct=5, y_pct=50)
    return gate


def _platform_key() -> tuple[Platform, str, ed25519.Ed25519PrivateKey]:
    platform, _ = Platform.objects.get_or_create(
        code=BENCH_PLATFORM, defaults={"name": "Bench Platform"}
    )
    private = ed25519.Ed25519PrivateKey.generate()
    kid = f"bench-{uuid.uuid4().hex[:8]}"
    PlatformKey.objects.filter(platform=platform).update(active=False)
    PlatformKey.objects.create(
        platform=platform,
        kid=kid,
        alg="EdDSA",
        public_jwk=jwk_from_public_key(private.public_key(), kid=kid, alg="EdDSA"),
    )
    return platform, kid, private


def registration_requests(presigned: int = PRESIGNED) -> Callable[[int], tuple[str, str]]:
    """(path, gate code) maker: `make(n)` is the path of the n-th one-click link."""
    gate = _gate()
    platform, kid, private = _platform_key()
    run = uuid.uuid4().hex[:6]
    base = f"/r/{gate.entry_code}/?assertion="

    def sign(n: int) -> str:
        now = int(time.time())
        claims = {
            "iss": platform.code,
            "aud": settings.PORTAL_BASE_URL,
            "sub": f"B{run}-{n}",
            "name": f"Bench Rider {n}",
            "station": "Bench Station",
            "iat": now,
            "exp": now + 600,
            "jti": f"{run}-{n}",
        }
        return base + jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid})

    stock = [sign(n) for n in range(presigned)]

    def make(n: int) -> str:
        return stock[n] if n < len(stock) else sign(n)

    return make
