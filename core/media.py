"""Uploads that are personal data (riders' photos, photos sent with feedback) live outside
the public media folder and are reached only by signed links that expire.

`SignedMediaStorage.url(name)` gives `/media-p/<name>:<timestamp>:<signature>`; the view
`private_media` serves the file while the signature holds and is younger than
PRIVATE_MEDIA_MAX_AGE. A page that shows a photo (the rider's pass, the guard console, a
rider's staff page) is only shown to those allowed to see it, so the link inherits that
check; a link copied out of a page stops working minutes later, and the files themselves
are never under MEDIA_ROOT, which a web server may publish (docs/privacy.md).
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, storages
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_GET

SALT = "last100.private-media"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


class SignedMediaStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT, with signed, expiring URLs."""

    def __init__(self, location=None, **kwargs) -> None:
        super().__init__(location=location or settings.PRIVATE_MEDIA_ROOT, **kwargs)

    def url(self, name: str | None) -> str:
        if not name:
            raise ValueError("This file has no name.")
        return reverse("private-media", kwargs={"signed": _signer().sign(name)})


def private_storage() -> SignedMediaStorage:
    """The storage of personal-data uploads (a callable, so migrations name no path)."""
    return storages["private"]


@require_GET
def private_media(request: HttpRequest, signed: str) -> FileResponse:
    """A private upload by its signed link; an unknown, tampered or expired link is a 404
    (never a hint of which)."""
    try:
        name = _signer().unsign(signed, max_age=settings.PRIVATE_MEDIA_MAX_AGE)
    except signing.BadSignature as exc:  # SignatureExpired is one
        raise Http404("No such file") from exc
    try:
        file = private_storage().open(name, "rb")
    except FileNotFoundError as exc:  # erased since the link was made
        raise Http404("No such file") from exc
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(file, content_type=content_type)
    response["Cache-Control"] = f"private, max-age={settings.PRIVATE_MEDIA_MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


def move_to_private(names) -> int:
    """Move uploads saved before they were private from MEDIA_ROOT to PRIVATE_MEDIA_ROOT
    (the migrations that made riders' and feedback photos private call it). Idempotent: a
    file already moved, or missing, is left alone. Returns the files moved."""
    import shutil
    from pathlib import Path

    public, private = Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)
    moved = 0
    for name in names:
        source, target = public / name, private / name
        if not name or not source.is_file() or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)
        moved += 1
    return moved
