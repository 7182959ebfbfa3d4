"""The ``posture`` command and the service's one settings object."""

__version__ = "0.1.0"
