"""Alerts: rules per MSP that watch every scan, routed to email, Teams, Slack or a signed webhook.

- ``_manage``: channels and rules (MSP admins), a test message, the page's view.
- ``_evaluate``: :func:`raise_alerts`, called in the transaction that records a scan (or fails one):
  one alert per (rule, customer, check) until it clears, each opening and clearing queued as a
  delivery in the outbox.
- ``_deliver``: the worker's side: :func:`queue_due_deliveries` on every tick, :func:`deliver` per
  message, signed (HMAC-SHA256, timestamped), retried with backoff, every attempt logged.
- ``_targets``: which URLs and addresses alerts may go to (no private or loopback ranges outside the
  demo and tests).

Decision: an outbox in the database, not a message sent from the recording transaction. An alert is
committed with the scan that raised it or not at all, and is delivered even when the broker was down
at that moment; the cost is up to one tick (a minute) of latency.
"""

from portal.services.alerts._deliver import (
    BACKOFF,
    LEASE,
    MAX_ATTEMPTS,
    DeliveryQueue,
    deliver,
    queue_due_deliveries,
    sign,
    verify_signature,
)
from portal.services.alerts._evaluate import ScanOutcome, raise_alerts
from portal.services.alerts._manage import (
    CONDITION_LABELS,
    THRESHOLDS,
    AlertingView,
    ChannelMade,
    alerting_view,
    create_channel,
    create_rule,
    delete_channel,
    delete_rule,
    send_test,
)
from portal.services.alerts._targets import TargetRefused, check_target, parse_recipients, system_resolver

__all__ = ["BACKOFF", "CONDITION_LABELS", "LEASE", "MAX_ATTEMPTS", "THRESHOLDS", "AlertingView", "ChannelMade",
           "DeliveryQueue", "ScanOutcome", "TargetRefused", "alerting_view", "check_target",
           "create_channel", "create_rule", "delete_channel", "delete_rule", "deliver", "parse_recipients",
           "queue_due_deliveries", "raise_alerts", "send_test", "sign", "system_resolver", "verify_signature"]
