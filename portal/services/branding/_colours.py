"""Brand colours and the text that stays readable on them (WCAG 2.x contrast).

An MSP picks any colour; the outputs pick the text. On a brand-coloured band the text is black or
white, whichever contrasts more: one of the two always reaches 4.58:1, above AA's 4.5:1 for body text.
Where the brand colour itself is the text (headings on white paper), a colour too light to read is
darkened, hue kept, until it reaches 4.5:1 on white.
"""

from __future__ import annotations

import re

from portal.services.errors import InvalidInput

__all__ = ["AA_NORMAL", "contrast", "ink_on_white", "parse_colour", "text_on"]

AA_NORMAL = 4.5
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_BLACK, _WHITE = "#000000", "#ffffff"


def parse_colour(value: str) -> str:
    """``#RRGGBB`` in lower case. Raises ``InvalidInput`` for anything else (names, ``url()``, CSS)."""
    value = (value or "").strip()
    if not _HEX.fullmatch(value):
        raise InvalidInput("a colour is written #RRGGBB, for example #1f4e79")
    return value.lower()


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two ``#RRGGBB`` colours, from 1 to 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever reads better on ``background``."""
    return _BLACK if contrast(background, _BLACK) >= contrast(background, _WHITE) else _WHITE


def ink_on_white(colour: str) -> str:
    """``colour`` if it reads on white at AA, else the same hue darkened until it does."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    for step in range(101):
        factor = 1 - step / 100
        candidate = f"#{round(r * factor):02x}{round(g * factor):02x}{round(b * factor):02x}"
        if contrast(candidate, _WHITE) >= AA_NORMAL:
            return candidate
    return _BLACK  # unreachable: factor 0 is black, 21:1
