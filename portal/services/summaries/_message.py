"""The email summary as a message: HTML (its CSS inlined) and plain text, the logo, the PDF attached.

Its MIME tree, what Outlook, Gmail and Apple Mail all show the same way::

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related          (only with a PNG logo)
          text/html
          image/png                (Content-ID: the HTML's ``cid:`` logo)
      application/pdf              (attachment: the executive report)

An SVG logo is not sent: mail clients do not draw SVG, so the brand's name stands in its place.
``List-Unsubscribe`` with ``List-Unsubscribe-Post`` (RFC 8058) lets a mail client unsubscribe in one
click; ``Auto-Submitted`` (RFC 3834) keeps out-of-office replies away. The Message-ID is the delivery's,
the same on every attempt, so a relay or a mailbox that sees a retry of a sent message can drop it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

import css_inline

from portal.services.reports import ExecutiveReport, render_html

__all__ = ["LOGO_CID", "SummaryParts", "compose_summary", "render_summary", "subject_of"]

LOGO_CID = "brand-logo@posture"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
#: Lines up to RFC 5322's 998 characters: at the default 78, Python writes an unbreakable header (the
#: ``List-Unsubscribe`` URL) as an RFC 2047 encoded word, which mail clients do not read as a URL.
_POLICY = policy.SMTP.clone(max_line_length=998)
_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


@dataclass(frozen=True)
class SummaryParts:
    subject: str
    html: str
    text: str


def subject_of(content: ExecutiveReport, *, test: bool = False) -> str:
    score = f"score {content.score:.0f}" if content.score is not None else "not assessed"
    subject = f"{content.customer_name}: security summary for {content.issued_on:%B %Y}, {score}"
    return _CONTROL.sub(" ", ("[Test] " if test else "") + subject)[:200]


def render_summary(content: ExecutiveReport, *, portal_link: str, unsubscribe_url: str | None, filename: str,
                   pages: int | None, test: bool = False, logo_src: str | None = None) -> SummaryParts:
    """The summary's subject, HTML (CSS inlined) and text. ``logo_src``: ``cid:`` in a mail, a
    ``data:`` URI in the portal's preview, None for the brand's name."""
    subject = subject_of(content, test=test)
    context = {"r": content, "portal_link": portal_link, "unsubscribe_url": unsubscribe_url, "filename": filename,
               "pages": pages, "test": test, "logo_src": logo_src, "subject": subject}
    html = _INLINER.inline(render_html("email/summary.html", **context))
    text = re.sub(r"\n{3,}", "\n\n", render_html("email/summary.txt", **context)).strip() + "\n"
    return SummaryParts(subject, html, text)


def compose_summary(content: ExecutiveReport, *, to: str, from_address: str, delivery_id: uuid.UUID, pdf: bytes,
                    filename: str, pages: int | None, portal_link: str, unsubscribe_url: str,
                    test: bool = False) -> EmailMessage:
    """The summary for one recipient, ready for :class:`portal.services.mail.SmtpSender`."""
    logo = content.brand.logo
    png = logo is not None and logo.media_type == "image/png"
    parts = render_summary(content, portal_link=portal_link, unsubscribe_url=unsubscribe_url, filename=filename,
                           pages=pages, test=test, logo_src=f"cid:{LOGO_CID}" if png else None)
    message = EmailMessage(policy=_POLICY)
    mailbox, _, domain = from_address.rpartition("@")
    message["From"] = Address(display_name=_CONTROL.sub(" ", content.brand.display_name)[:100],
                              username=mailbox, domain=domain)
    message["To"] = to
    message["Subject"] = parts.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{delivery_id}@{domain or 'posture.invalid'}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"  # Exchange's own header for the same
    message.set_content(parts.text)
    message.add_alternative(parts.html, subtype="html")
    if png:
        assert logo is not None
        html_part = message.get_payload()[1]  # type: ignore[index]
        html_part.add_related(logo.data, maintype="image", subtype="png", cid=f"<{LOGO_CID}>",
                              filename="logo.png", disposition="inline")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return message
