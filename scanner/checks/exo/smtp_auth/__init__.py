"""SMTP AUTH client submission: organisation setting and per-mailbox overrides."""
