"""The conformance kit (tools/gatecheck) against the project's simulator, over real HTTP:
the simulator must pass every check, and the kit must catch a device that breaks the rules."""

from __future__ import annotations

from bench.procs import GateSim
from tools.gatecheck.kit import Kit, Listener, report

CID = 61
SECRET = "gatecheck-secret"


def _run(sim: GateSim, listener: Listener | None, **kwargs) -> list:
    kit = Kit(sim.endpoint(CID), CID, SECRET, listener=listener, wait=20, **kwargs)
    return kit.run()


def test_the_simulator_passes_the_conformance_kit():
    listener = Listener(CID, SECRET)
    sim = GateSim(
        {CID: SECRET}, portal=listener.url, heartbeat=0.5, extra=["--report-events", "0.2"]
    )
    sim.start()
    try:
        results = _run(sim, listener)
    finally:
        sim.stop()
        listener.stop()
    text = report(results)
    print(text)
    assert all(r.ok for r in results), text
    assert len(results) >= 25


def test_the_kit_fails_a_v1_device_that_accepts_replays_and_rollbacks():
    # The simulator speaking protocol 1: pushes signed the old way, no nonce, older
    # snapshots applied. The kit must say so.
    sim = GateSim({CID: SECRET}, heartbeat=3600, extra=["--protocol", "1"])
    sim.start()
    try:
        results = _run(sim, None)
    finally:
        sim.stop()
    failed = {r.name for r in results if r.ok is False}
    assert "signed snapshot applied, digest right" not in failed
    assert {
        "replayed push refused",
        "rolled-back snapshot refused (409 rollback)",
        "v1-signed push refused",
    } <= failed, report(results)
