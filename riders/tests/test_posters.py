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
    assert sorted(names) == sorted([f"gate-{gate.pk}-a5.png", f"gate-{second.pk}-a5.png"])
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
