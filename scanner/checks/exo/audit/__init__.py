"""Audit logging in Exchange Online and Microsoft Purview."""
