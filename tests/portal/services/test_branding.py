"""Branding's pure parts: colours that stay readable, and logo uploads treated as hostile."""

from __future__ import annotations

import io
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from portal.services.branding import (
    AA_NORMAL,
    MAX_LOGO_BYTES,
    accept_logo,
    contrast,
    ink_on_white,
    make_brand,
    parse_colour,
    text_on,
)
from portal.services.errors import InvalidInput

colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


# Contrast figures from the WCAG 2.x definition, computed by hand.
@pytest.mark.parametrize(("a", "b", "ratio"), [("#000000", "#ffffff", 21.0), ("#ffffff", "#ffffff", 1.0),
                                                ("#777777", "#ffffff", 4.48), ("#0000ff", "#ffffff", 8.59)])
def test_contrast_follows_wcag(a, b, ratio):
    assert contrast(a, b) == pytest.approx(ratio, abs=0.01)


@given(colours)
def test_text_on_any_brand_colour_reaches_aa(colour):
    assert contrast(text_on(colour), colour) >= AA_NORMAL


@given(colours)
def test_brand_colour_as_text_on_white_reaches_aa_and_keeps_readable_colours(colour):
    ink = ink_on_white(colour)
    assert contrast(ink, "#ffffff") >= AA_NORMAL
    if contrast(colour, "#ffffff") >= AA_NORMAL:
        assert ink == colour


def test_yellow_is_darkened_not_replaced():
    ink = ink_on_white("#ffcc00")
    r, g, b = (int(ink[i:i + 2], 16) for i in (1, 3, 5))
    assert r > g > b == 0  # still a yellow-brown, not black


@pytest.mark.parametrize("value", ["red", "#fff", "#12345g", "url(x)", "#123456;background:url(http://x)", ""])
def test_colours_are_hex_only(value):
    with pytest.raises(InvalidInput):
        parse_colour(value)


def test_brand_text_is_one_bounded_line():
    with pytest.raises(InvalidInput):
        make_brand("Acme\nIT")
    with pytest.raises(InvalidInput):
        make_brand("x" * 101)
    with pytest.raises(InvalidInput):
        make_brand("Acme", contact="a\x00b")
    assert make_brand("  Acme   IT ").display_name == "Acme IT"


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "white").save(out, format="PNG")
    return out.getvalue()


def test_png_is_reencoded_and_bounded():
    logo = accept_logo(_png(1600, 400) + b"<script>alert(1)</script>")  # a polyglot tail
    assert logo.media_type == "image/png"
    assert b"<script>" not in logo.data
    image = Image.open(io.BytesIO(logo.data))
    assert image.size == (800, 200)


def test_jpeg_is_accepted_as_png():
    out = io.BytesIO()
    Image.new("RGB", (200, 100), "navy").save(out, format="JPEG")
    logo = accept_logo(out.getvalue())
    assert logo.media_type == "image/png" and logo.data.startswith(b"\x89PNG")


def test_fifty_megabyte_upload_is_refused_unread():
    with pytest.raises(InvalidInput, match="at most"):
        accept_logo(b"\x89PNG\r\n\x1a\n" + b"\0" * (50 * 1024 * 1024))
    assert MAX_LOGO_BYTES < 50 * 1024 * 1024


def test_decompression_bomb_is_refused_before_decoding():
    bomb = _png(20000, 20000, mode="1")  # 400 million pixels in a few tens of KB
    assert len(bomb) < MAX_LOGO_BYTES
    with pytest.raises(InvalidInput, match="pixels"):
        accept_logo(bomb)


def test_png_header_lying_about_its_data_is_refused():
    import weasyprint  # noqa: F401 - it makes Pillow accept truncated images process-wide, as in the portal

    good = _png(50, 50)
    # Corrupt the image data but keep a valid header: decoding fails, the upload is refused.
    idat = good.index(b"IDAT")
    broken = good[:idat + 4] + zlib.compress(b"\xff" * 10)[:5] + good[idat + 9:]
    with pytest.raises(InvalidInput):
        accept_logo(broken)


@pytest.mark.parametrize("data", [b"GIF89a....", b"%PDF-1.7", b"hello", b"\x89PNG\r\n\x1a\nnot really"])
def test_other_files_are_refused(data):
    with pytest.raises(InvalidInput):
        accept_logo(data)


HOSTILE_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 40"
     onload="alert(1)">
  <script>alert(document.cookie)</script>
  <style>@import url(http://evil.example/x.css);</style>
  <foreignObject width="100" height="40"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
  <image href="http://evil.example/track.png" width="1" height="1"/>
  <use xlink:href="http://evil.example/sprite.svg#logo"/>
  <a href="javascript:alert(1)"><text x="0" y="10">click</text></a>
  <animate attributeName="href" to="javascript:alert(1)"/>
  <rect width="10" height="10" fill="url(http://evil.example/p.svg#g)" style="fill:url(http://x)"
        onclick="alert(1)"/>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#123456"/></linearGradient></defs>
  <rect id="keep" width="20" height="10" fill="url(#g)"/>
  <use href="#keep"/>
  <text x="0" y="30" font-size="10">Acme <tspan>IT</tspan></text>
</svg>"""


def test_svg_keeps_its_drawing_and_loses_everything_active():
    logo = accept_logo(HOSTILE_SVG)
    assert logo.media_type == "image/svg+xml"
    text = logo.data.decode()
    for gone in ("script", "onload", "onclick", "style", "foreignObject", "evil.example", "javascript", "animate",
                 "<image", "<a "):
        assert gone not in text, gone
    for kept in ('fill="url(#g)"', 'href="#keep"', "linearGradient", "Acme", "IT", 'viewBox="0 0 100 40"'):
        assert kept in text, kept


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>&b;</text></svg>',
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>&x;</text></svg>',
    b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',  # nothing to scale it by
    b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'><unclosed></svg>",
])
def test_svg_with_entities_or_not_an_svg_is_refused(data):
    with pytest.raises(InvalidInput):
        accept_logo(data)


def test_svg_with_too_many_elements_is_refused():
    many = b"".join(b'<rect width="1" height="1"/>' for _ in range(6000))
    with pytest.raises(InvalidInput, match="elements"):
        accept_logo(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">' + many + b"</svg>")
