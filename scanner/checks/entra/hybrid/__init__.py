"""Hybrid identity: Entra Connect / Cloud Sync features, for tenants that synchronise from Active Directory."""
