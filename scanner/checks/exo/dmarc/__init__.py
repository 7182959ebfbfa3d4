"""DMARC of every accepted domain, read from public DNS: published, rejecting, and reported on."""
