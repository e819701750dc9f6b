import io
import zipfile

import pytest
import zxingcpp
from django.conf import settings
from django.urls import reverse
from PIL import Image

from communities.tests.factories import CommunityFactory, GateFactory
from riders.posters import DPI, SIZES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("size", "mm"), [("a4", (210, 297)), ("a5", (148, 210))])
def test_png_poster_size_and_qr(client, staff_user, gate, size, mm):
    client.force_login(staff_user)
    response = client.get(reverse("riders:gate_poster", args=[gate.pk, "png"]), {"size": size})
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == SIZES[size]
    assert (
        abs(image.size[0] - mm[0] / 25.4 * DPI) < 1 and abs(image.size[1] - mm[1] / 25.4 * DPI) < 1
    )
    texts = [r.text for r in zxingcpp.read_barcodes(image)]
    assert texts == [f"{settings.PORTAL_BASE_URL}/r/{gate.entry_code}/"]


def test_pdf_poster_and_rotation_changes_the_qr(client, staff_user, gate):
    client.force_login(staff_user)
    response = client.get(reverse("riders:gate_poster", args=[gate.pk, "pdf"]), {"size": "a5"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    client.post(reverse("riders:gate_rotate", args=[gate.pk]), {"confirm": "yes"})
    gate.refresh_from_db()
    png = client.get(reverse("riders:gate_poster", args=[gate.pk, "png"])).content
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [
        f"{settings.PORTAL_BASE_URL}/r/{gate.entry_code}/"
    ]


def test_bad_size_or_format_is_404_not_500(client, staff_user, gate):
    client.force_login(staff_user)
    assert client.get(reverse("riders:gate_poster", args=[gate.pk, "gif"])).status_code == 404
    url = reverse("riders:gate_poster", args=[gate.pk, "png"])
    assert client.get(url, {"size": "a3"}).status_code == 404


def test_zip_holds_one_poster_per_selected_gate(
    client, staff_user, other_staff_user, community, gate
):
    second = GateFactory(community=community, name="South Gate")
    GateFactory(community=community, name="Not selected")
    client.force_login(staff_user)
    url = reverse("riders:gate_posters_zip")
    response = client.get(url, {"ids": f"{gate.pk},{second.pk}", "size": "a5"})
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(names) == sorted(
        [f"Garden-Court-North-Gate-{gate.pk}-a5.png", f"Garden-Court-South-Gate-{second.pk}-a5.png"]
    )
    assert client.get(url, {"ids": "1,x"}).status_code == 404
    client.force_login(other_staff_user)
    assert client.get(url, {"ids": str(gate.pk)}).status_code == 404
    assert client.get(reverse("riders:gate_poster", args=[gate.pk, "png"])).status_code == 404
    foreign = GateFactory(community=CommunityFactory())
    client.force_login(staff_user)
    assert client.get(url, {"ids": f"{gate.pk},{foreign.pk}"}).status_code == 404


def test_gate_admin_action_redirects_to_the_zip(client, staff_user, gate):
    second = GateFactory(community=gate.community, name="South Gate")
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:communities_gate_changelist"),
        {"action": "download_posters", "_selected_action": [gate.pk, second.pk]},
    )
    assert response.status_code == 302
    zipped = client.get(response["Location"])
    assert zipped.status_code == 200
    assert len(zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()) == 2


def _pdf(client, gate, size):
    response = client.get(reverse("riders:gate_poster", args=[gate.pk, "pdf"]), {"size": size})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response


@pytest.mark.parametrize(("size", "qr_mm"), [("a4", 120), ("a5", 85)])
def test_pdf_poster_is_vector_text_and_a_vector_qr_sized_for_one_to_two_metres(
    client, staff_user, community, size, qr_mm
):
    from pypdf import PdfReader

    from riders.poster_text import poster_text
    from riders.posters import PAGE_MM, poster_layout

    community.name = "柳岸花园"
    community.save()
    gate = GateFactory(community=community, name="北门")
    client.force_login(staff_user)
    response = _pdf(client, gate, size)
    reader = PdfReader(io.BytesIO(response.content))
    page = reader.pages[0]
    width_mm = float(page.mediabox.width) / 72 * 25.4
    assert abs(width_mm - PAGE_MM[size][0]) < 0.5
    assert len(page.images) == 0  # nothing is a picture
    # pypdf reads the two-byte codes with a NUL between characters: drop them and spaces.
    text = "".join(page.extract_text().replace("\x00", "").split())
    title = poster_text(gate).title_zh.replace(" ", "")
    assert title in text and "柳岸花园" in text and "北门" in text
    assert gate.entry_code in text
    fonts = page["/Resources"]["/Font"]
    assert any(
        "/FontFile3"
        in str(f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object())
        for f in fonts.values()
    )
    content = page.get_contents().get_data()
    layout = poster_layout(gate, size=size)
    dark_runs = sum(1 for row in layout.modules for _ in _runs(row))
    assert content.count(b" re f") + content.count(b" re\nf") >= dark_runs
    side = layout.module * len(layout.modules)
    assert side >= qr_mm
    # The quiet zone (4 modules) stays clear of the text above and below.
    lines = layout.lines
    above = max(li.baseline for li in lines if li.baseline < layout.qr_y)
    below = min(li.baseline - li.size for li in lines if li.baseline > layout.qr_y + side)
    assert layout.qr_y - above >= 4 * layout.module - 0.01
    assert below - (layout.qr_y + side) >= 4 * layout.module - 0.01


def _runs(row):
    from riders.posters import _runs as runs

    return runs(row)


def test_poster_files_are_named_after_community_and_gate(client, staff_user, community):
    community.name = "柳岸花园"
    community.save()
    gate = GateFactory(community=community, name="北门 / North")
    client.force_login(staff_user)
    disposition = _pdf(client, gate, "a4")["Content-Disposition"]
    assert "filename*=utf-8''" in disposition.lower()
    from urllib.parse import unquote

    assert unquote(disposition.split("''")[1]) == f"柳岸花园-北门-North-{gate.pk}-a4.pdf"
    response = client.get(reverse("riders:gate_posters_zip"), {"ids": gate.pk, "format": "pdf"})
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == [
        f"柳岸花园-北门-North-{gate.pk}-a4.pdf"
    ]
    assert "posters-a4.zip" in unquote(response["Content-Disposition"])
