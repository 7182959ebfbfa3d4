"""Branding: how an MSP's reports and emails look, MSP-wide and per customer.

- ``_colours``: ``#RRGGBB`` parsing and WCAG contrast: the text colour on a brand colour is chosen,
  never typed.
- ``_logo`` and ``_svg``: uploads checked, bounded and rewritten (raster re-encoded, SVG rebuilt from an
  allowlist) before anything renders them.
- ``_brand``: :class:`Brand`, what an output is branded with.
- ``_manage``: the stored MSP default and customer overrides; :func:`brand_for` resolves the brand of
  an output.
"""

from portal.services.branding._brand import DEFAULT_BRAND, Brand, make_brand
from portal.services.branding._colours import AA_NORMAL, contrast, ink_on_white, parse_colour, text_on
from portal.services.branding._logo import MAX_LOGO_BYTES, MAX_SIDE, Logo, accept_logo
from portal.services.branding._manage import BrandingForm, BrandingView, brand_for, branding_of, save_branding

__all__ = ["AA_NORMAL", "DEFAULT_BRAND", "MAX_LOGO_BYTES", "MAX_SIDE", "Brand", "BrandingForm", "BrandingView", "Logo",
           "accept_logo", "brand_for", "branding_of", "contrast", "ink_on_white", "make_brand", "parse_colour",
           "save_branding", "text_on"]
