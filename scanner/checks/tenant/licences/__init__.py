"""Licence hygiene."""
