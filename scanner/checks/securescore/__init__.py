"""Microsoft Secure Score, read as a proxy signal."""
