"""Account hygiene: enabled accounts nobody uses."""
