"""Uploaded images made safe to keep and serve (issue #7 item 7).

`image_reencode` opens the upload with Pillow, refuses what is not an image, too large
in bytes or in pixels (decompression bombs are refused from the header, before any pixel
is decoded), and returns a freshly encoded copy: EXIF and anything appended to the file
(a PHP or HTML "polyglot" tail) are gone, and the name is random, so the client's file
name (``../../x.png``, ``shell.php.jpg``) never reaches the storage.
"""

from __future__ import annotations

import io
import secrets
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: Formats we accept as input; everything is written back as JPEG (or PNG with alpha).
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


def image_reencode(
    file, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ContentFile:
    """A re-encoded copy of the uploaded image `file` with a random name; ValidationError
    (a message for the user) if it is not an acceptable image."""
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(_("The image is larger than %(mb)d MB.") % {"mb": max_bytes // 2**20})
    file.seek(0)
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(_("The image is larger than %(mb)d MB.") % {"mb": max_bytes // 2**20})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationError(_("Upload a JPEG, PNG, WebP or GIF image."))
            width, height = image.size
            if width * height > max_pixels:
                raise ValidationError(_("The image has too many pixels."))
            image.load()
            image = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ValidationError(_("Upload a JPEG, PNG, WebP or GIF image.")) from exc
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        image.convert("RGBA").save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        image.convert("RGB").save(out, format="JPEG", quality=85)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(16)}.{extension}")
