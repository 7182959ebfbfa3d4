"""Exchange Online checks, read through the Exchange Online admin API (InvokeCommand)."""
