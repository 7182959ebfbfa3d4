"""A brand as the outputs use it: the name, colours, contact line and logo on a report or an email."""

from __future__ import annotations

from dataclasses import dataclass

from portal.services.branding._colours import ink_on_white, parse_colour, text_on
from portal.services.branding._logo import Logo
from portal.services.plain_text import plain_line

__all__ = ["DEFAULT_BRAND", "Brand", "make_brand"]

MAX_NAME, MAX_CONTACT = 100, 200


@dataclass(frozen=True)
class Brand:
    """What an output is branded with. ``attribution`` is the MSP's small line on every output."""

    display_name: str
    primary: str = "#1f4e79"
    accent: str = "#2e7d32"
    contact: str = ""
    logo: Logo | None = None
    attribution: str = ""

    @property
    def on_primary(self) -> str:
        return text_on(self.primary)

    @property
    def on_accent(self) -> str:
        return text_on(self.accent)

    @property
    def ink(self) -> str:
        """The primary colour as text on white paper, darkened where it would not read."""
        return ink_on_white(self.primary)


DEFAULT_BRAND = Brand(display_name="Microsoft 365 security posture")


def make_brand(display_name: str, *, primary: str | None = None, accent: str | None = None, contact: str = "",
               logo: Logo | None = None, attribution: str = "") -> Brand:
    """A brand from what a person typed: one-line text, bounded; colours as ``#RRGGBB``.

    Raises:
        InvalidInput: an empty or overlong name, an overlong or multi-line contact line, or a colour that is
            not ``#RRGGBB``.
    """
    name = plain_line(display_name or "", "display name", max_length=MAX_NAME)
    contact = plain_line(contact or "", "contact line", max_length=MAX_CONTACT, required=False)
    return Brand(display_name=name, primary=parse_colour(primary) if primary else DEFAULT_BRAND.primary,
                 accent=parse_colour(accent) if accent else DEFAULT_BRAND.accent, contact=contact, logo=logo,
                 attribution=plain_line(attribution or "", "attribution", max_length=MAX_CONTACT,
                                             required=False))
