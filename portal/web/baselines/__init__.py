"""The baselines pages: alignment, and the MSP's baselines."""

from portal.web.baselines.controllers import BaselinesController

__all__ = ["BaselinesController"]
