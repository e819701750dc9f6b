"""The riders' demo: the demo platform and its one-click links (`seed_demo`,
`manage.py platform_assertion`, `make link`)."""

from django.core.management import call_command

from communities.tests.factories import GateFactory
from demo import riders as demo
from riders.models import PlatformKey
from riders.services.registration import assertion_verify, rider_register_from_assertion


def test_platform_assertion_prints_a_link_that_registers(client, community, settings, capsys):
    gate = GateFactory(community=community)
    call_command(
        "platform_assertion", "--rider-id", "R777", "--name", "李雷", "--gate", gate.entry_code
    )
    link = capsys.readouterr().out.strip()
    assert link.startswith(f"{settings.PORTAL_BASE_URL}/r/{gate.entry_code}/?assertion=")

    token = link.split("assertion=", 1)[1]
    registration = rider_register_from_assertion(verified=assertion_verify(token), gate=gate)
    assert registration.rider.platform_rider_id == "R777" and registration.outcome == "active"


def test_make_link_needs_no_gate_and_points_at_the_running_server(community, settings, capsys):
    """`make link` passes no gate: the first gate open to riders is used, and the link's
    base is PORTAL_BASE_URL (the Makefile sets it to the server `make run` started)."""
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8765"
    GateFactory(community=community, open_to_riders=False)
    gate = GateFactory(community=community, open_to_riders=True)
    call_command("platform_assertion", "--rider-id", "R778", "--name", "韩梅梅")
    link = capsys.readouterr().out.strip()
    assert link.startswith(f"http://127.0.0.1:8765/r/{gate.entry_code}/?assertion=")


def test_demo_seed_registers_the_platform_and_prints_a_link(community, settings, tmp_path):
    GateFactory(community=community)
    settings.BASE_DIR = tmp_path
    lines = demo.seed()
    assert any("/r/" in line and "assertion=" in line for line in lines)
    again = demo.seed()
    assert len(again) == len(lines)

    assert PlatformKey.objects.filter(platform__code="demo").count() == 1
    assert (tmp_path / "var" / "demo-platform-key.pem").exists()
