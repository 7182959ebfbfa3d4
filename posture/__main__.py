"""``python -m posture``: the same as the ``posture`` command."""

from posture.cli import main

main()
