"""Public keys as JSON Web Keys (RFC 7517/8037): Ed25519 (OKP) and P-256 (EC) only."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def public_key_from_jwk(jwk: dict[str, Any]) -> PublicKey:
    """Parse a public JWK; ValueError for anything but a valid Ed25519 or P-256 public key."""
    if not isinstance(jwk, dict) or "d" in jwk:
        raise ValueError("not a public JWK")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    try:
        if kty == "OKP" and crv == "Ed25519":
            key = OKPAlgorithm.from_jwk(json.dumps(jwk))
            if not isinstance(key, ed25519.Ed25519PublicKey):
                raise ValueError("not an Ed25519 public key")
            return key
        if kty == "EC" and crv == "P-256":
            key = ECAlgorithm.from_jwk(json.dumps(jwk))
            if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
                raise ValueError("not a P-256 public key")
            return key
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(str(exc) or exc.__class__.__name__) from exc
    raise ValueError("only OKP/Ed25519 and EC/P-256 keys are accepted")


def jwk_from_public_key(key: PublicKey, *, kid: str, alg: str) -> dict[str, Any]:
    """The public JWK of `key`, with `kid`, `alg` and `use: sig`."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        data = json.loads(OKPAlgorithm.to_jwk(key))
    else:
        data = json.loads(ECAlgorithm.to_jwk(key))
    data.pop("d", None)
    data.update({"kid": kid, "alg": alg, "use": "sig"})
    return data
