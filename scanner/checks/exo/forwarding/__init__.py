"""Automatic forwarding of mail outside the organisation."""
