"""Email summaries: a customer's report, short, branded, to its leadership, on a cadence.

- ``_cadence``: pure: when the next summary is due (weekly, monthly, quarterly at 07:00 UTC), and
  the period it belongs to.
- ``_settings``: a customer's cadence and recipients (its own users, extra addresses), minus those who
  unsubscribed.
- ``_message``: the message: HTML with inlined CSS and plain text, the logo, the PDF attached,
  ``List-Unsubscribe`` (RFC 8058).
- ``_send``: the tick makes each due send (the report requested, a delivery per recipient); workers
  send each delivery once through the outbox (``portal.services.outbox``) with the SMTP outcome kept;
  the portal's preview and "Send a test".
- ``_unsubscribe``: the signed one-click link, honoured without signing in.

Decisions: a summary attaches the report of its own send (a new version, rendered from the latest
scan by the report actor) rather than the latest existing PDF, so "new and fixed since the last
report" is about the previous summary; a test send reuses the latest ready report of the latest scan
so pressing it twice does not pile up versions. A test goes only to the person who asks (their
account's address): the portal is no relay for arbitrary addresses.
"""

from portal.services.summaries._cadence import CADENCES, SEND_HOUR_UTC, Cadence, next_due, period_of
from portal.services.summaries._message import LOGO_CID, SummaryParts, compose_summary, render_summary, subject_of
from portal.services.summaries._send import (
    SUMMARIES_ACTOR,
    DeliveryLine,
    deliver_summary,
    delivery_log,
    preview_summary,
    queue_due_summaries,
    queue_due_summary_deliveries,
    send_test,
    waiting_for_report,
)
from portal.services.summaries._settings import (
    Recipient,
    SummaryConfig,
    recipients_of,
    save_summary_config,
    summary_config,
)
from portal.services.summaries._unsubscribe import Unsubscription, unsubscribe, unsubscribe_path, unsubscription_of

__all__ = [
    "CADENCES",
    "LOGO_CID",
    "SEND_HOUR_UTC",
    "SUMMARIES_ACTOR",
    "Cadence",
    "DeliveryLine",
    "Recipient",
    "SummaryConfig",
    "SummaryParts",
    "Unsubscription",
    "compose_summary",
    "deliver_summary",
    "delivery_log",
    "next_due",
    "period_of",
    "preview_summary",
    "queue_due_summaries",
    "queue_due_summary_deliveries",
    "recipients_of",
    "render_summary",
    "save_summary_config",
    "send_test",
    "subject_of",
    "summary_config",
    "unsubscribe",
    "unsubscribe_path",
    "unsubscription_of",
    "waiting_for_report",
]
