"""Checks on who holds highly privileged directory roles."""
