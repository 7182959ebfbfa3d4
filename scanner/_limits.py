"""How much of one collection a scan reads before it stops and reports ``paging_limit``.

Graph documents that a client follows ``@odata.nextLink`` until it is absent; it does not promise
that a link never loops, and a hostile or broken endpoint can send pages for ever. A scan therefore
stops a collection at whichever cap it reaches first, and that collection (only) errors with
``paging_limit`` (``scanner._errors.PagingLimit``), naming the cap:

- :data:`MAX_PAGES` pages: the largest page chain we expect is the sign-in activity list at 120
  users a page (Graph's cap for ``signInActivity``), so 2,500 pages is a 300,000-user tenant.
- :data:`MAX_BYTES` bytes on the wire, so a tenant sending enormous pages cannot exhaust a worker's
  memory (a 300,000-user directory list with our ``$select`` is about 150 MB). Inside a ``$batch``
  a sub-response counts as an equal share of the batch's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner._errors import PagingLimit

__all__ = ["MAX_BYTES", "MAX_PAGES", "PageBudget"]

#: Pages one collection may take.
MAX_PAGES = 2_500
#: Bytes one collection may take.
MAX_BYTES = 512 * 1024 * 1024


@dataclass
class PageBudget:
    """Pages and bytes spent on one collection so far."""

    max_pages: int = MAX_PAGES
    max_bytes: int = MAX_BYTES
    pages: int = 0
    bytes: int = 0

    def spend(self, size: int, *, has_next: bool, url: str, tenant_id: str, service: str = "Graph") -> None:
        """Count one page of ``size`` bytes, before its next page (if any) is requested.

        Raises:
            PagingLimit: a cap is reached with more to read; the collection is not read further.
        """
        self.pages += 1
        self.bytes += size
        over_pages = has_next and self.pages >= self.max_pages
        if over_pages or self.bytes > self.max_bytes:
            cap = f"{self.max_pages} pages" if over_pages else f"{self.max_bytes / (1024 * 1024):g} MiB"
            raise PagingLimit(None, None, f"{service} {url} for tenant {tenant_id} went past {cap} for one "
                              "collection (a looping '@odata.nextLink', or a tenant beyond the scanner's caps); "
                              "the collection was not used.", url, tenant_id=tenant_id)
