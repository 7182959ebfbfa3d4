"""The SMTP relay from the settings: one builder for the portal (invitations, consent links) and the
workers (email alerts)."""

from __future__ import annotations

from config.settings import Settings
from portal.services.mail import SmtpSender

__all__ = ["mailer_from"]


def mailer_from(settings: Settings) -> SmtpSender | None:
    """The relay ``POSTURE_SMTP_*`` names; None when no host is set (nothing is mailed)."""
    if not settings.smtp_host:
        return None
    return SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from, tls=settings.smtp_tls,  # type: ignore[arg-type]
                      username=settings.smtp_user,
                      password=settings.smtp_password.get_secret_value() if settings.smtp_password else None)
