"""Guest (B2B) access: what guests may see, who may invite them, and who may come in by default."""
