"""Logos an MSP uploads: checked, bounded and rewritten before anything renders them.

An upload is hostile until proven otherwise. What is accepted:
- PNG or JPEG, recognised by content (never by the name or the declared type), at most
  ``MAX_LOGO_BYTES`` and ``MAX_SIDE`` pixels a side, with the pixel count checked from the header
  before a pixel is decoded (a decompression bomb is refused, not decompressed). It is decoded and
  written again as a fresh PNG no wider than ``STORED_SIDE``: metadata, trailing bytes and polyglot
  payloads do not survive the re-encoding.
- SVG, parsed without DTDs or entities (``defusedxml``) and rebuilt from an allowlist of drawing
  elements and attributes (``_svg``): no script, no event handler, no ``foreignObject``, no style
  sheet, no reference outside the document.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from portal.services.branding._svg import sanitise_svg
from portal.services.errors import InvalidInput

__all__ = ["MAX_LOGO_BYTES", "MAX_SIDE", "Logo", "accept_logo"]

MAX_LOGO_BYTES = 1024 * 1024
MAX_SIDE = 4000
STORED_SIDE = 800
_PNG, _JPEG = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"


@dataclass(frozen=True)
class Logo:
    media_type: str  # image/png or image/svg+xml
    data: bytes

    def data_uri(self) -> str:
        import base64

        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode()}"


def accept_logo(data: bytes) -> Logo:
    """The upload as a logo safe to render. Raises ``InvalidInput`` saying what is wrong with it."""
    if not data:
        raise InvalidInput("the logo file is empty")
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput(f"a logo is at most {MAX_LOGO_BYTES // 1024} KB")
    if data.startswith(_PNG) or data.startswith(_JPEG):
        return Logo("image/png", _raster(data))
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return Logo("image/svg+xml", sanitise_svg(data))
    raise InvalidInput("a logo is a PNG, JPEG or SVG file")


def _raster(data: bytes) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=("PNG", "JPEG"))
            width, height = image.size  # from the header: nothing decoded yet
            if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE:
                raise InvalidInput(f"a logo is at most {MAX_SIDE} pixels a side (this one is {width} by {height})")
            # WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process, so a damaged file would
            # decode without a complaint: verify its structure (a PNG's chunk checksums) first.
            image.verify()
            image = Image.open(io.BytesIO(data), formats=("PNG", "JPEG"))
            image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput("the image declares more pixels than a logo has") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput("the image could not be read; save it again as PNG or JPEG") from exc
    image = image.convert("RGBA")
    image.thumbnail((STORED_SIDE, STORED_SIDE))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
