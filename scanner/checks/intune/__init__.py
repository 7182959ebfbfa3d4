"""Intune device compliance checks."""
