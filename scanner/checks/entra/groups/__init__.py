"""Microsoft 365 groups, and the directory settings objects (``/groupSettings``) other checks read too."""
