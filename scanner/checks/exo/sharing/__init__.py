"""Exchange Online sharing policies: what free/busy and contact data users may share outside."""
