"""Branding pages: the MSP default and each customer's own, with a live preview."""

from portal.web.branding.controllers import BrandingController

__all__ = ["BrandingController"]
