"""The platform operator's pages and API."""

from portal.web.operator.controllers import OperatorApiController, OperatorController

__all__ = ["OperatorApiController", "OperatorController"]
