"""Application consent: how users ask an admin to approve an app."""
