"""The alerts page: channels, rules, open alerts and the delivery log."""

from portal.web.alerts.controllers import AlertsController

__all__ = ["AlertsController"]
