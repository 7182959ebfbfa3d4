"""The system of record: PostgreSQL models with row-level security, and the domain services.

``portal.db`` holds the tables, the migrations and the unit of work that scopes every
transaction; ``portal.services`` holds the rules (scans, connection state, the fleet). The web
layer (``portal.web``) comes with the portal issue and calls the same services.
"""
