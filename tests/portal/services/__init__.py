"""Tests of the domain services (real PostgreSQL, the simulator for real scans)."""
