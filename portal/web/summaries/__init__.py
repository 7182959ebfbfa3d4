"""The email summary's pages: a customer's settings, preview, test and delivery log; the unsubscribe page."""

from portal.web.summaries.controllers import SummaryController, UnsubscribeController

__all__ = ["SummaryController", "UnsubscribeController"]
