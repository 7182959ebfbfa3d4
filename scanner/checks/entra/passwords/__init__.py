"""Password expiry, banned passwords and smart lockout."""
