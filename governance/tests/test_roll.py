"""Owners' roll import (CSV, XLSX; preview, errors, idempotent), invitations, phone codes."""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from communities.models import Building, Unit
from communities.tests.factories import CommunityFactory
from governance.models import Owner, Ownership
from governance.services.invitations import (
    invitation_accept,
    login_code_send,
    login_code_verify,
    owner_invite,
)
from governance.services.roll_import import roll_import, roll_parse

pytestmark = pytest.mark.django_db

CSV = (
    "house number,owner,phone,co-owners,developer-held\n"
    "7-2-1503,Wang Fang,13800000001,Li Lei,no\n"
    "7-2-1504,Wang Fang,13800000001,,\n"
    "7栋2单元1505室,Green Land Developer,,,yes\n"
    "7-2-1506,Developer Ltd,,,yes\n"
    "9-1-101,Nobody,,,\n"
    "7-2-1503,Zhao Yun,,,no\n"
    "7-2-1507,,,,maybe\n"
)


@pytest.fixture
def units(community):
    building = Building.objects.create(community=community, number="7")
    return [
        Unit.objects.create(building=building, entrance="2", number=str(n), exclusive_area="90")
        for n in range(1503, 1508)
    ]


def test_parse_finds_units_and_lists_row_errors(community, units):
    rows = roll_parse(community=community, filename="roll.csv", content=CSV.encode())
    assert [r.line for r in rows] == [2, 3, 4, 5, 6, 7, 8]
    assert rows[0].unit == units[0] and rows[0].co_owners == ["Li Lei"]
    assert rows[2].unit == units[2] and rows[2].developer  # Chinese house number
    assert "No unit 9-1-101" in rows[4].errors[0]
    assert "already on line 2" in rows[5].errors[0]
    assert len(rows[6].errors) == 2  # no name, bad developer flag
    assert [r.ok for r in rows] == [True, True, True, True, False, False, False]


def test_import_is_idempotent_and_owners_hold_what_the_file_says(community, units):
    rows = roll_parse(community=community, filename="roll.csv", content=CSV.encode())
    counts = roll_import(community=community, rows=rows, acting_user=None)
    assert counts == {"units": 4, "owners_created": 4, "added": 5, "removed": 0, "skipped": 3}
    wang = Owner.objects.get(name="Wang Fang")
    assert set(wang.ownerships.values_list("unit__number", flat=True)) == {"1503", "1504"}
    assert set(units[0].ownerships.values_list("owner__name", flat=True)) == {"Wang Fang", "Li Lei"}
    again = roll_import(
        community=community,
        rows=roll_parse(community=community, filename="roll.csv", content=CSV.encode()),
        acting_user=None,
    )
    assert again == {"units": 4, "owners_created": 0, "added": 0, "removed": 0, "skipped": 3}
    assert Ownership.objects.count() == 5


def test_a_corrected_file_replaces_a_units_holders(community, units):
    roll_import(
        community=community,
        rows=roll_parse(community=community, filename="r.csv", content=CSV.encode()),
        acting_user=None,
    )
    fixed = "7-2-1503,Wang Fang,13800000001,,no\n"
    counts = roll_import(
        community=community,
        rows=roll_parse(community=community, filename="r.csv", content=fixed.encode()),
        acting_user=None,
    )
    assert counts["removed"] == 1
    assert list(units[0].ownerships.values_list("owner__name", flat=True)) == ["Wang Fang"]


def test_xlsx_and_gb18030_csv_are_read(community, units):
    book = Workbook()
    sheet = book.active
    sheet.append(["房号", "业主", "电话", "共有人", "开发商"])
    sheet.append(["7-2-1503", "王芳", "13900000009", "", "否"])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = roll_parse(community=community, filename="roll.xlsx", content=buffer.getvalue())
    assert rows[0].ok and rows[0].name == "王芳" and not rows[0].developer
    gb = "7-2-1504,李雷,13900000010,,是\n".encode("gb18030")
    rows = roll_parse(community=community, filename="roll.csv", content=gb)
    assert rows[0].ok and rows[0].name == "李雷" and rows[0].developer


def test_roll_page_previews_then_imports(client, community, units, staff_user, other_staff_user):
    url = reverse("governance:roll_import", args=[community.slug])
    client.force_login(other_staff_user)
    assert client.get(url).status_code == 404
    client.force_login(staff_user)
    upload = SimpleUploadedFile("roll.csv", CSV.encode(), content_type="text/csv")
    preview = client.post(url, {"action": "preview", "file": upload})
    body = preview.content.decode()
    assert "No unit 9-1-101 in this community." in body
    assert "3 rows have errors" in body
    assert not Ownership.objects.exists()  # a preview writes nothing
    response = client.post(url, {"action": "import"}, follow=True)
    assert "Imported 4 units" in response.content.decode()
    assert Ownership.objects.count() == 5


def test_a_broken_workbook_is_a_form_error(client, community, staff_user):
    client.force_login(staff_user)
    upload = SimpleUploadedFile("roll.xlsx", b"not a workbook")
    response = client.post(
        reverse("governance:roll_import", args=[community.slug]),
        {"action": "preview", "file": upload},
    )
    assert response.status_code == 200
    assert "not a readable XLSX workbook" in response.content.decode()


def test_an_invitation_sets_a_password_once(client, community, units, staff_user):
    owner = Owner.objects.create(name="Wang Fang", phone="13800000001")
    Ownership.objects.create(unit=units[0], owner=owner)
    link = owner_invite(owner=owner, acting_user=staff_user)
    path = re.sub(r"^https?://[^/]+", "", link)
    page = client.get(path)
    assert page.status_code == 200 and "Wang Fang" in page.content.decode()
    bad = client.post(path, {"username": "wang", "password1": "a", "password2": "b"})
    assert "The two passwords differ." in bad.content.decode()
    done = client.post(
        path,
        {
            "username": "wang.fang",
            "password1": "Lotus-garden-2026",
            "password2": "Lotus-garden-2026",
        },
    )
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.user.username == "wang.fang" and owner.invited_at is not None
    client.logout()
    assert client.get(path).status_code == 400  # used
    with pytest.raises(ValidationError, match="not valid"):
        invitation_accept(token=path.split("/")[-2] + "x", username="x", password="y")


def test_phone_code_logs_an_owner_in(client, community, units, capsys):
    cache.clear()
    owner = Owner.objects.create(name="Wang Fang", phone="13800000001")
    Ownership.objects.create(unit=units[0], owner=owner)
    client.post(reverse("governance:login_phone"), {"phone": "13800000001"})
    code = re.search(r"code is (\d{6})", capsys.readouterr().out).group(1)
    wrong = client.post(
        reverse("governance:login_code"), {"code": "000000" if code != "000000" else "111111"}
    )
    assert "wrong or has expired" in wrong.content.decode()
    response = client.post(reverse("governance:login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("governance:index")).status_code == 200
    owner.refresh_from_db()
    assert owner.user is not None


def test_phone_codes_do_not_reveal_who_is_an_owner_and_die_after_five_wrong_tries(db, capsys):
    cache.clear()
    assert login_code_send(phone="13000000000") is False
    Owner.objects.create(name="Li", phone="13100000000")
    assert login_code_send(phone="13100000000") is True
    code = re.search(r"code is (\d{6})", capsys.readouterr().out).group(1)
    assert login_code_send(phone="13100000000") is False  # resend throttled
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert login_code_verify(phone="13100000000", code=wrong) is None
    assert login_code_verify(phone="13100000000", code=code) is None  # spent


def test_make_invitation_links_answers_the_page_with_the_links(
    client, community, units, staff_user
):
    owner = Owner.objects.create(name="Wang Fang", phone="13800000001")
    Ownership.objects.create(unit=units[0], owner=owner)
    client.force_login(staff_user)
    response = client.post(
        reverse("governance:roll_import", args=[community.slug]), {"action": "invite"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Invitation links (valid 14 days)" in body
    prefix = reverse("governance:invite", args=["t"])[:-2]
    assert re.search(re.escape(prefix) + r"[^\"]+:[^\"]+/", body)  # the signed link
    assert "1 owner has no log-in yet." in body
    owner.refresh_from_db()
    assert owner.invited_at is not None


def _import(community, text: str) -> dict[str, int]:
    rows = roll_parse(community=community, filename="roll.csv", content=text.encode())
    return roll_import(community=community, rows=rows, acting_user=None)


@pytest.fixture
def other_owner(other_company):
    """An owner of a flat in another company's community, phone 13800000001."""
    elsewhere = CommunityFactory(company=other_company, slug="sky-court", name="Sky Court")
    building = Building.objects.create(community=elsewhere, number="1")
    unit = Unit.objects.create(building=building, number="101", exclusive_area="80")
    owner = Owner.objects.create(name="Wang Fang", phone="13800000001")
    Ownership.objects.create(unit=unit, owner=owner)
    return owner


def test_a_roll_import_never_attaches_an_owner_of_another_company(community, units, other_owner):
    counts = _import(community, "7-2-1503,Wang Fang,13800000001,,no\n")
    assert counts["owners_created"] == 1
    holder = units[0].ownerships.get().owner
    assert holder != other_owner and holder.phone == "13800000001"
    assert list(other_owner.ownerships.values_list("unit__number", flat=True)) == ["101"]


def test_an_owner_is_matched_by_phone_across_communities_of_the_same_company(
    company, community, units
):
    sister = CommunityFactory(company=company, slug="lotus", name="Lotus")
    building = Building.objects.create(community=sister, number="1")
    flat = Unit.objects.create(building=building, number="101", exclusive_area="80")
    owner = Owner.objects.create(name="Wang Fang", phone="13800000001")
    Ownership.objects.create(unit=flat, owner=owner)
    counts = _import(community, "7-2-1503,Wang Fang,13800000001,,no\n")
    assert counts["owners_created"] == 0
    assert units[0].ownerships.get().owner == owner


def test_the_roll_preview_and_counts_do_not_tell_whether_a_phone_is_an_owner_elsewhere(
    client, community, units, staff_user, other_company
):
    client.force_login(staff_user)
    url = reverse("governance:roll_import", args=[community.slug])

    def preview_and_import() -> tuple[str, str]:
        upload = SimpleUploadedFile("roll.csv", CSV.encode(), content_type="text/csv")
        body = client.post(url, {"action": "preview", "file": upload}).content.decode()
        preview = body[body.index('id="h-preview"') : body.index('id="h-upload"')]
        preview = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", preview)
        done = client.post(url, {"action": "import"}, follow=True).content.decode()
        Ownership.objects.all().delete()
        Owner.objects.filter(ownerships__isnull=True).delete()
        return preview, re.search(r"Imported [^<]*", done).group(0)

    without = preview_and_import()
    sky = CommunityFactory(company=other_company, slug="sky-court")
    elsewhere = Building.objects.create(community=sky, number="1")
    flat = Unit.objects.create(building=elsewhere, number="101", exclusive_area="80")
    Ownership.objects.create(
        unit=flat, owner=Owner.objects.create(name="Wang Fang", phone="13800000001")
    )
    assert preview_and_import() == without
    assert "4 new owners" in without[1]


def test_two_owners_with_the_same_name_and_no_phone_stay_two_owners(community, units):
    counts = _import(community, "7-2-1503,张伟,,,no\n7-2-1504,张伟,,,no\n")
    assert counts["owners_created"] == 2
    assert Owner.objects.filter(name="张伟").count() == 2
    # and importing the file again merges nothing either
    assert _import(community, "7-2-1503,张伟,,,no\n7-2-1504,张伟,,,no\n")["owners_created"] == 0
    assert Owner.objects.filter(name="张伟").count() == 2


def test_same_name_rows_without_phone_or_key_are_pointed_out_in_the_preview(
    client, community, units, staff_user
):
    text = "7-2-1503,张伟,,李雷,no\n7-2-1504,张伟,,,no\n7-2-1505,李雷,13900000001,,no\n"
    rows = roll_parse(community=community, filename="roll.csv", content=text.encode())
    assert "also on line 1" in rows[1].notes[0] and "张伟" in rows[1].notes[0]
    assert any("张伟" in n and "also on line 2" in n for n in rows[0].notes)
    assert any("李雷" in n and "line 3" in n for n in rows[0].notes)  # a co-owner
    assert rows[2].notes == []  # identified by phone
    client.force_login(staff_user)
    upload = SimpleUploadedFile("roll.csv", text.encode(), content_type="text/csv")
    body = client.post(
        reverse("governance:roll_import", args=[community.slug]),
        {"action": "preview", "file": upload},
    ).content.decode()
    assert "imported as different owners" in body


def test_the_owner_key_column_makes_one_owner_of_several_rows(community, units):
    text = "7-2-1503,张伟,,,no,A-17\n7-2-1504,张伟,,,no,A-17\n7-2-1505,张伟,,,no,B-2\n"
    rows = roll_parse(community=community, filename="roll.csv", content=text.encode())
    assert rows[0].key == "A-17" and rows[0].notes == []
    counts = roll_import(community=community, rows=rows, acting_user=None)
    assert counts["owners_created"] == 2
    a17 = units[0].ownerships.get().owner
    assert units[1].ownerships.get().owner == a17 and units[2].ownerships.get().owner != a17


def test_a_padded_xlsx_roll_is_read_in_bounded_rows_and_columns(community, units, monkeypatch):
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    from communities.tests.factories import xlsx_padded
    from core import tables
    from governance.services import roll_import as module

    seen = {"rows": 0, "width": 0}
    original = ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            seen["rows"] += 1
            seen["width"] = max(seen["width"], len(row))
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counting)
    monkeypatch.setattr(tables, "BLANK_ROWS_ALLOWED", 100)
    data = xlsx_padded([["房号", "业主"], ["7-2-1503", "王芳"]], far_row=2000)
    assert len(data) < 8_000
    with pytest.raises(module.RollFileError, match="more than 100 empty rows"):
        roll_parse(community=community, filename="roll.xlsx", content=data)
    assert seen["rows"] <= 2 + 100 + 1  # not the 2,000 the sheet pads to
    assert seen["width"] <= tables.MAX_COLS  # not 16,384 cells a row


def test_a_phone_on_two_companies_rolls_logs_into_neither_owner_by_code(client, db, capsys):
    """Red team: roll imports match owners per company, so one phone can be two owners;
    the code log-in took the lowest id, letting one company's roll (a squatter's record)
    capture another company's owner's log-in. Now neither is chosen; invitation links
    still work."""
    cache.clear()
    squatter = Owner.objects.create(name="Squat", phone="13912345678")
    real = Owner.objects.create(name="Real Green Owner", phone="13912345678")
    client.post(reverse("governance:login_phone"), {"phone": "13912345678"})
    code = re.search(r"code is (\d{6})", capsys.readouterr().out).group(1)
    response = client.post(
        reverse("governance:login_code"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "more than one property company" in response.content.decode()
    assert client.get(reverse("governance:index")).status_code != 200  # not logged in
    squatter.refresh_from_db()
    real.refresh_from_db()
    assert squatter.user_id is None and real.user_id is None
