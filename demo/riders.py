"""Demo data for riders: the `demo` platform with its own Ed25519 key pair, one-click
links signed with it, and a simulated controller per gate of the demo community.

The platform's PRIVATE key stands in for the platform's app: it lives in
var/demo-platform-key.pem (never committed), and `manage.py platform_assertion` signs
one-click links with it. Only the public key is registered in the portal.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings

from communities.models import Gate, GateController
from riders.models import Platform, PlatformKey
from riders.services.jwk import jwk_from_public_key

DEMO_PLATFORM = "demo"
DEMO_KID = "demo-1"


def _key_path() -> Path:
    return Path(settings.BASE_DIR) / "var" / "demo-platform-key.pem"


def demo_private_key() -> ed25519.Ed25519PrivateKey:
    """The demo platform's private key, created on first use."""
    path = _key_path()
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise TypeError(f"{path} does not hold an Ed25519 private key")
        return key
    key = ed25519.Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


def demo_platform() -> Platform:
    """The demo platform with the public half of the local key registered (idempotent;
    a new local key file replaces the registered key)."""
    platform, _ = Platform.objects.get_or_create(
        code=DEMO_PLATFORM, defaults={"name": "Demo Delivery 演示配送"}
    )
    public = jwk_from_public_key(demo_private_key().public_key(), kid=DEMO_KID, alg="EdDSA")
    PlatformKey.objects.update_or_create(
        platform=platform,
        kid=DEMO_KID,
        defaults={"alg": "EdDSA", "public_jwk": public, "active": True},
    )
    return platform


def one_click_link(
    *,
    gate: Gate,
    rider_id: str,
    name: str,
    phone: str = "",
    station: str = "",
    lifetime: int = 600,
    platform_code: str = DEMO_PLATFORM,
) -> str:
    """A platform's one-click registration link for `gate`, signed with the demo key."""
    platform = Platform.objects.get(code=platform_code)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform.code,
        "aud": settings.PORTAL_BASE_URL,
        "sub": rider_id,
        "name": name,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    if phone:
        claims["phone"] = phone
    if station:
        claims["station"] = station
    token = jwt.encode(claims, demo_private_key(), algorithm="EdDSA", headers={"kid": DEMO_KID})
    return f"{settings.PORTAL_BASE_URL}/r/{gate.entry_code}/?assertion={token}"


def demo_controllers(gates: list[Gate]) -> list[dict[str, Any]]:
    """One simulated controller per demo gate (idempotent), and the file `make run` hands
    to `python -m tools.gatesim`: var/gatesim/controllers.json, [{"id", "secret"}]."""
    base = settings.DEMO_GATESIM_URL.rstrip("/")
    out = []
    for gate in gates:
        controller = GateController.objects.filter(gate=gate, name="Demo simulator").first()
        if controller is None:
            controller = GateController.objects.create(
                gate=gate,
                name="Demo simulator",
                endpoint=f"{base}/c/0",
                secret=secrets.token_urlsafe(24),
            )
        endpoint = f"{base}/c/{controller.pk}"
        if controller.endpoint != endpoint:
            GateController.objects.filter(pk=controller.pk).update(endpoint=endpoint)
        out.append({"id": controller.pk, "secret": controller.secret, "gate": gate.name})
    path = Path(settings.BASE_DIR) / "var" / "gatesim" / "controllers.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return out


def demo_gate() -> Gate | None:
    """The first gate open to riders of the demo's Willow Garden (or of any community)."""
    return (
        Gate.objects.filter(open_to_riders=True, community__slug="willow-garden")
        .select_related("community")
        .order_by("pk")
        .first()
        or Gate.objects.filter(open_to_riders=True)
        .select_related("community")
        .order_by("pk")
        .first()
    )


def seed(stdout: Any = None) -> list[str]:
    """Called by `manage.py seed_demo`: the demo platform, a simulated controller per gate
    of the demo community, and a one-click link for the first gate open to riders in a
    community that lets riders in."""
    demo_platform()
    gate = demo_gate()
    lines = ["Riders (platform 'demo', key in var/demo-platform-key.pem):"]
    if gate is not None:
        link = one_click_link(
            gate=gate, rider_id="R123", name="李雷", phone="13812345678", station="Xuhui"
        )
        lines += [
            f"  One-click rider link for {gate.community.name} / {gate.name} (10 minutes):",
            f"  {link}",
            '  Another, for the server make run started: make link RIDER=R124 NAME="韩梅梅"',
            f"  Rider's pass: {settings.PORTAL_BASE_URL}/pass/",
            f"  Guard console (log in as green.guard): "
            f"{settings.PORTAL_BASE_URL}/guard/{gate.entry_code}/",
            f"  Staff: {settings.PORTAL_BASE_URL}/staff/riders/",
        ]
        controllers = demo_controllers(
            list(Gate.objects.filter(community=gate.community).order_by("pk"))
        )
        lines += [
            "Gate simulator (started by make run; revoke the rider at /staff/riders/ and the",
            "  simulated gate denies the pass within seconds):",
            *(
                f"  {c['gate']}: {settings.DEMO_GATESIM_URL.rstrip('/')}/c/{c['id']}/"
                for c in controllers
            ),
        ]
    return lines
