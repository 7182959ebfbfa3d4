"""Session lifetime controls outside Conditional Access."""
