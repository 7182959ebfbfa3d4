"""Tenant-wide checks that are not about identity: subscriptions and licences."""
