"""Application registrations and the tenant-wide rules for their credentials."""
