"""Checks on Privileged Identity Management for directory roles (needs Entra ID P2)."""
