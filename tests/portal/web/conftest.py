"""Fixtures of the web tests: a real SMTP server (``inbox``)."""

from tests.support.smtp import inbox

__all__ = ["inbox"]
