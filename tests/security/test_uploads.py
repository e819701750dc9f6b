"""core.uploads.image_reencode refuses what is not a safe image and strips what rides
along with one (issue #7 item 7)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from core.uploads import image_reencode


def _jpeg(size=(40, 30), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG", **kwargs)
    return out.getvalue()


def test_a_php_file_named_jpg_is_refused():
    upload = SimpleUploadedFile("shell.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg")
    with pytest.raises(ValidationError):
        image_reencode(upload)


def test_an_oversized_file_is_refused_before_decoding():
    upload = SimpleUploadedFile("big.jpg", _jpeg() + b"\0" * 2048, "image/jpeg")
    # The messages are checked in English (the default language is Chinese).
    with translation.override("en"), pytest.raises(ValidationError, match="larger"):
        image_reencode(upload, max_bytes=1024)


def test_too_many_pixels_is_refused_from_the_header():
    out = io.BytesIO()
    Image.new("1", (5000, 5000)).save(out, format="PNG")  # tiny file, 25 Mpx
    upload = SimpleUploadedFile("bomb.png", out.getvalue(), "image/png")
    with translation.override("en"), pytest.raises(ValidationError, match="pixels"):
        image_reencode(upload, max_pixels=1_000_000)


def test_a_polyglot_loses_its_payload_and_exif():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (31.0, 12.0, 0.0)}  # GPS latitude
    data = _jpeg(exif=exif.tobytes()) + b"<?php echo 'owned'; ?>"
    result = image_reencode(SimpleUploadedFile("x.jpg", data, "image/jpeg"))
    body = result.read()
    assert b"<?php" not in body and b"SecretCam" not in body
    assert not Image.open(io.BytesIO(body)).getexif()
    assert Image.open(io.BytesIO(body)).size == (40, 30)


def test_a_path_in_the_name_never_reaches_the_storage():
    result = image_reencode(SimpleUploadedFile("../../x.png", _jpeg(), "image/png"))
    assert "/" not in result.name and ".." not in result.name
    assert result.name.endswith(".jpg") and len(result.name) == 36


def test_an_svg_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(ValidationError):
        image_reencode(SimpleUploadedFile("map.png", svg, "image/png"))


def test_a_huge_xlsx_is_refused_by_size():
    from communities.imports import MAX_BYTES, ImportFileError, _read_table

    with pytest.raises(ImportFileError):
        _read_table("units.xlsx", b"PK" + b"\0" * MAX_BYTES)


def test_a_wide_xlsx_row_is_read_only_up_to_the_columns_used():
    from openpyxl import Workbook

    from communities.imports import MAX_COLS, _read_table

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["building", "unit", "area"] + ["x"] * 16_000)  # compresses to a few KB
    out = io.BytesIO()
    workbook.save(out)
    rows = _read_table("units.xlsx", out.getvalue())
    assert rows[0][:3] == ["building", "unit", "area"]
    assert len(rows[0]) <= MAX_COLS


def test_the_rider_registration_form_reencodes_the_photo():
    from riders.forms import ManualRegistrationForm

    data = _jpeg() + b"<?php echo 1; ?>"
    form = ManualRegistrationForm(
        data={}, files={"photo": SimpleUploadedFile("../../me.jpg", data, "image/jpeg")}
    )
    form.is_valid()
    assert "photo" not in form.errors
    photo = form.cleaned_data["photo"]
    assert b"<?php" not in photo.read() and ".." not in photo.name
