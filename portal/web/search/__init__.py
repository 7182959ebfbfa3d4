"""Fleet search: the page, its CSV export and saved searches (``controllers``), and ``/api/v1/search`` (``api``)."""

from portal.web.search.api import SearchApiController
from portal.web.search.controllers import SearchController

__all__ = ["SearchApiController", "SearchController"]
