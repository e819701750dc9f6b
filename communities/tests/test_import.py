"""Bulk import of buildings and units: preview with row errors, then apply, idempotent."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook
from PIL import Image

from communities import imports
from communities.models import Building, Unit

pytestmark = pytest.mark.usefixtures("english")  # messages asserted in English


def png_upload(size=(400, 300)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#dfe8d8").save(buffer, "PNG")
    return SimpleUploadedFile("map.png", buffer.getvalue(), content_type="image/png")


GOOD_CSV = (
    b"building,entrance,house_number,exclusive_area\n7,2,1503,89.50\n7,2,1504,120\n8,1,101,75.25\n"
)


def _csv(text: str, name: str = "units.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)


def _xlsx(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("units.xlsx", buffer.getvalue())


def _url(community):
    return reverse("admin:communities_community_import_units", args=[community.pk])


def test_preview_lists_row_errors_and_writes_nothing(client, staff_user, community):
    client.force_login(staff_user)
    text = (
        "building,entrance,house_number,exclusive_area\n"
        "7,2,1503,89.5\n"
        "7,2,1503,90\n"
        "8,1,101,-3\n"
        ",1,102,50\n"
    )
    html = client.post(_url(community), {"file": _csv(text)}).content.decode()
    assert "3 rows have errors" in html
    assert "also on line 2" in html
    assert "is not a positive number" in html
    assert "The building number is missing" in html
    assert not Building.objects.filter(community=community).exists()


def test_a_valid_file_is_previewed_then_imported_and_a_second_import_changes_nothing(
    client, staff_user, community
):
    client.force_login(staff_user)
    preview = client.post(_url(community), {"file": _csv(GOOD_CSV)})
    token = preview.context["token"]
    assert "3 units to create" in preview.content.decode()
    assert not Unit.objects.exists()
    response = client.post(_url(community), {"token": token})
    assert response.status_code == 302
    assert Unit.objects.filter(building__community=community).count() == 3
    assert set(Building.objects.filter(community=community).values_list("number", flat=True)) == {
        "7",
        "8",
    }
    again = client.post(_url(community), {"file": _csv(GOOD_CSV)})
    assert "3 unchanged" in again.content.decode()
    client.post(_url(community), {"token": again.context["token"]})
    assert Unit.objects.filter(building__community=community).count() == 3


def test_reimport_updates_a_changed_area(client, staff_user, community):
    client.force_login(staff_user)
    client.post(
        _url(community),
        {"token": client.post(_url(community), {"file": _csv(GOOD_CSV)}).context["token"]},
    )
    changed = GOOD_CSV.decode().replace("89.50", "91.00")
    preview = client.post(_url(community), {"file": _csv(changed)})
    assert "1 to update" in preview.content.decode()
    client.post(_url(community), {"token": preview.context["token"]})
    assert str(Unit.objects.get(number="1503").exclusive_area) == "91.00"


def test_xlsx_with_chinese_headers_is_read(client, staff_user, community):
    client.force_login(staff_user)
    upload = _xlsx([["楼栋", "单元", "房号", "面积"], [7, 2, 1503, 89.5], ["7A", "", "301", "66"]])
    preview = client.post(_url(community), {"file": upload})
    assert preview.context["token"], preview.content.decode()[:3000]
    client.post(_url(community), {"token": preview.context["token"]})
    labels = {u.label for u in Unit.objects.select_related("building")}
    assert labels == {"7-2-1503", "7A-301"}


def test_wrong_types_and_missing_columns_are_refused_clearly(client, staff_user, community):
    client.force_login(staff_user)
    html = client.post(_url(community), {"file": _csv("x", name="units.txt")}).content.decode()
    assert "Upload a .csv or .xlsx file." in html
    html = client.post(_url(community), {"file": _csv("a,b\n1,2\n")}).content.decode()
    assert "Missing columns" in html
    fake = SimpleUploadedFile("units.xlsx", b"not a workbook")
    html = client.post(_url(community), {"file": fake}).content.decode()
    assert "not a readable XLSX" in html


def test_a_preview_token_is_bound_to_its_user(client, staff_user, superuser, community):
    client.force_login(staff_user)
    token = client.post(_url(community), {"file": _csv(GOOD_CSV)}).context["token"]
    client.force_login(superuser)
    response = client.post(_url(community), {"token": token})
    assert response.status_code == 302
    assert not Unit.objects.exists()


def test_gb18030_csv_is_read(community):
    data = "楼栋,单元,房号,面积\n7,2,1503,89.5\n".encode("gb18030")
    rows = imports.units_parse(community=community, name="u.csv", data=data)
    assert [(r.label, r.errors) for r in rows] == [("7-2-1503", [])]


@pytest.mark.parametrize("area", ["abc", "0", "NaN", "1e99"])
def test_bad_areas_are_row_errors(community, area):
    data = f"building,house_number,exclusive_area\n1,101,{area}\n".encode()
    rows = imports.units_parse(community=community, name="u.csv", data=data)
    assert rows[0].errors


def test_chinese_cells_with_suffixes_and_full_width_digits_are_read(community):
    data = "楼栋,单元,房号,面积\n7栋,2单元,1503室,89.5㎡\n８号楼,,１０１,６０\n".encode()
    rows = imports.units_parse(community=community, name="u.csv", data=data)
    assert [(r.building, r.entrance, r.house_number, r.errors) for r in rows] == [
        ("7", "2", "1503", []),
        ("8", "", "101", []),
    ]


def test_a_file_over_5_mb_is_refused(client, staff_user, community):
    client.force_login(staff_user)
    big = b"building,house_number,exclusive_area\n" + b"1,101,50\n" * 700_000
    assert len(big) > imports.MAX_BYTES
    html = client.post(_url(community), {"file": _csv(big)}).content.decode()
    assert "larger than 5 MB" in html
    assert not Unit.objects.exists()


@translation.override("en")
def test_too_many_rows_are_refused(community, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    data = b"building,house_number,exclusive_area\n" + b"".join(
        f"1,{n},50\n".encode() for n in range(4)
    )
    with pytest.raises(imports.ImportFileError, match="more than 3 rows"):
        imports.units_parse(community=community, name="u.csv", data=data)


@translation.override("en")
def test_xlsx_formulas_are_read_as_values_never_as_text(community):
    upload = _xlsx(
        [
            ["building", "house_number", "exclusive_area"],
            [7, '=HYPERLINK("http://evil","101")', 50],
            [7, 102, "=40+10"],
        ]
    )
    rows = imports.units_parse(community=community, name="u.xlsx", data=upload.read())
    # A workbook saved without computed values gives no value, so those rows fail.
    assert "The house number is missing." in rows[0].errors
    assert any("not a positive number" in e for e in rows[1].errors)
    assert not any("=" in (r.house_number + r.exclusive_area) for r in rows)


@translation.override("en")
def test_markers_in_the_file_need_the_site_map(client, staff_user, community):
    text = "building,house_number,exclusive_area,x_pct,y_pct\n7,101,50,10,20\n"
    rows = imports.units_parse(community=community, name="u.csv", data=text.encode())
    assert any("site map first" in e for e in rows[0].errors)
    community.site_map = png_upload()
    community.save()
    client.force_login(staff_user)
    preview = client.post(_url(community), {"file": _csv(text)})
    client.post(_url(community), {"token": preview.context["token"]})
    building = Building.objects.get(community=community, number="7")
    assert (building.x_pct, building.y_pct) == (10, 20)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("7,101,50,120,5", "must lie on the site map"),
        ("7,101,50,5,", "Give both marker coordinates"),
        ("7" * 21 + ",101,50,,", "longer than 20 characters"),
    ],
)
@translation.override("en")
def test_row_errors_for_markers_and_lengths(community, cells, message):
    community.site_map = png_upload()
    community.save()
    text = f"building,house_number,exclusive_area,x_pct,y_pct\n{cells}\n"
    rows = imports.units_parse(community=community, name="u.csv", data=text.encode())
    assert any(message in e for e in rows[0].errors), rows[0].errors


def test_a_preview_is_applied_once_and_then_expires(client, staff_user, community):
    client.force_login(staff_user)
    token = client.post(_url(community), {"file": _csv(GOOD_CSV)}).context["token"]
    assert client.post(_url(community), {"token": token}).status_code == 302
    again = client.post(_url(community), {"token": token}, follow=True)
    assert "This preview has expired" in again.content.decode()
    assert Unit.objects.filter(building__community=community).count() == 3


def test_the_service_refuses_rows_with_errors_and_audits_what_it_applies(community, staff_user):
    from core.models import AuditEntry

    bad = imports.units_parse(
        community=community, name="u.csv", data=b"building,house_number,exclusive_area\n1,1,x\n"
    )
    with pytest.raises(imports.ImportFileError):
        imports.units_import(community=community, rows=bad, acting_user=staff_user)
    rows = imports.units_parse(community=community, name="u.csv", data=GOOD_CSV)
    result = imports.units_import(community=community, rows=rows, acting_user=staff_user)
    assert (result.buildings_created, result.units_created) == (2, 3)
    entry = AuditEntry.objects.get(action="units_import")
    assert entry.actor == staff_user and entry.after["units_created"] == 3


def test_import_queries_do_not_grow_with_rows(community, django_assert_max_num_queries):
    def file(n):
        lines = "".join(f"{b},{u},{50 + u}\n" for b in range(1, 4) for u in range(n))
        return ("building,house_number,exclusive_area\n" + lines).encode()

    rows = imports.units_parse(community=community, name="u.csv", data=file(5))
    with django_assert_max_num_queries(20) as few:
        imports.units_import(community=community, rows=rows, acting_user=None)
    rows = imports.units_parse(community=community, name="u.csv", data=file(300))
    with django_assert_max_num_queries(len(few.captured_queries)):
        imports.units_import(community=community, rows=rows, acting_user=None)
    assert Unit.objects.filter(building__community=community).count() == 900
