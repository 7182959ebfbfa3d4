"""Domain services: the rules of the product, one sub-package per area (scans, customers, fleet...).

A service function takes the open unit of work (``portal.db.uow``), whose scope row-level security
enforces, applies the rules and returns dataclasses or models, never HTTP types. It may flush, never
commit: the unit of work commits or rolls back whole. Services that span several transactions (a
scan runs outside any transaction, between two) take the engine and open their own units of work;
they say so in their docstring.

Imports point one way: ``portal.web`` and ``worker`` call these services; services call
``portal.db`` and ``scanner``, never ``worker`` or the web layer. Where a service must hand work to
the queue it takes a small callable (``portal.services.scans.ScanQueue``) from its caller.
"""
