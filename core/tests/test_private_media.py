"""Personal-data uploads (core/media.py): stored outside MEDIA_ROOT, reached only by
signed links that expire."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.media import move_to_private
from riders.models import GrantSource, GrantStatus
from riders.services.grants import grant_approve, grant_request
from riders.services.registration import device_issue

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def rider_with_photo(rider):
    rider.photo = SimpleUploadedFile("face.png", _png(), content_type="image/png")
    rider.save()
    yield rider
    rider.photo.delete(save=False)


def test_a_riders_photo_is_stored_outside_the_public_media_folder(rider_with_photo):
    name = rider_with_photo.photo.name
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / name).is_file()
    assert not (Path(settings.MEDIA_ROOT) / name).exists()


def test_its_signed_link_serves_it_privately(client, rider_with_photo):
    url = rider_with_photo.photo.url
    assert url.startswith("/media-p/riders/") and rider_with_photo.photo.name in url
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"].startswith("private")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == rider_with_photo.photo.read()
    # The public media path (served in tests and by DEBUG) does not have it.
    assert client.get(f"/media/{rider_with_photo.photo.name}").status_code == 404


def test_a_tampered_unsigned_or_expired_link_is_a_404(client, rider_with_photo, monkeypatch):
    url = rider_with_photo.photo.url
    name = rider_with_photo.photo.name
    assert client.get(url[:-2] + ("AA" if not url.endswith("AA") else "BB")).status_code == 404
    assert client.get(reverse("private-media", args=[name])).status_code == 404
    other = url.replace(name, "riders/other.png")
    assert client.get(other).status_code == 404
    import django.core.signing as signing

    later = signing.time.time() + settings.PRIVATE_MEDIA_MAX_AGE + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert client.get(url).status_code == 404


def test_the_pass_shows_the_photo_by_a_link_that_works(client, rider_with_photo, community):
    grant = grant_request(
        rider=rider_with_photo, community=community, source=GrantSource.PLATFORM, acting_user=None
    )
    if grant.status == GrantStatus.PENDING:
        grant_approve(grant=grant, acting_user=None)
    client.cookies[settings.RIDERS_DEVICE_COOKIE] = device_issue(rider=rider_with_photo)
    page = client.get(reverse("riders:pass")).content.decode()
    src = re.search(r'class="rider-photo" src="([^"]+)"', page).group(1)
    assert src.startswith("/media-p/")
    assert client.get(src).status_code == 200


def test_photos_saved_as_public_media_are_moved_out_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "public"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    (tmp_path / "public" / "riders").mkdir(parents=True)
    (tmp_path / "public" / "riders" / "old.png").write_bytes(_png())
    assert move_to_private(["riders/old.png", "riders/missing.png", ""]) == 1
    assert (tmp_path / "private" / "riders" / "old.png").read_bytes() == _png()
    assert not (tmp_path / "public" / "riders" / "old.png").exists()
    assert move_to_private(["riders/old.png"]) == 0
