"""QR codes for passes, as inline SVG (one <path>, no raster image, no external file).

qrcode computes the modules; the SVG is drawn here with one sub-path per horizontal run of
dark modules (`M x y h n v1 h-n z`). qrcode's own SvgPathImage writes one square per
module: 38 KB for a pass token against about 17 KB this way, which matters on a phone
fetching a fresh code every 15 seconds.

Error correction M and the standard four-module quiet zone on a white rectangle: a
screenshot or a photo of the screen still reads. Each token is rendered once per process;
a code takes about 4 ms to draw.
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
import qrcode.constants

QUIET_ZONE = 4
# qrcode otherwise draws the code eight times to score every mask: 20 ms against 4 ms per
# pass token. Any mask is a valid QR code; for random base64url tokens the checkerboard
# one reads as well as the best (tests read every code back with zxing-cpp).
MASK_PATTERN = 0


@lru_cache(maxsize=512)
def qr_svg(data: str, *, title: str = "") -> str:
    """An inline <svg> (no XML declaration) drawing `data` as a QR code, black on white,
    sized by CSS (the viewBox is in modules)."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=QUIET_ZONE,
        mask_pattern=MASK_PATTERN,
    )
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()  # includes the quiet zone
    size = len(matrix)
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    aria = f' aria-label="{_escape(title)}"' if title else ""
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" role="img"{aria}>{label}'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
