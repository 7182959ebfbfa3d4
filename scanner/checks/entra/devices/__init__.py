"""Device registration and join: who may join, who becomes local admin, and LAPS."""
