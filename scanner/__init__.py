"""Scan Microsoft 365 tenants (public API assembled once the transport lands)."""
