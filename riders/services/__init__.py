"""Writes and checks of the riders domain, one module per sub-domain:

- grants.py: every change to an AccessGrant (the one place; gate sync hears of it here)
- gate_access.py: what riders tell gate sync: which grants may pass, keys, names
- gate_events.py: scans decided at the gate, sent by controllers in batches
- assertions.py: checking a platform's signed assertion (JWS), using its jti once
- upsert.py: the rider's one-statement upsert (claim, rider, device, entry policy)
- registration.py: registering a rider at a gate, one click or by hand
- devices.py: the rider's device cookies
- platforms.py: what platforms do to their riders (deactivation)
- keys.py: the portal's pass-signing keys, JWKS, pass tokens
- verification.py: deciding a scan at a gate
- gates.py: gate entry codes
- jwk.py: reading and writing public keys as JWK
"""
