"""Tests of the simulator over real HTTPS on loopback."""
