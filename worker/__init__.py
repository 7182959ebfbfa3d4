"""Background work on Dramatiq: scan tenants, run the schedule (more actors come with later issues).

- ``worker.middleware``: log context per message, retry classification, the dead-letter path, and
  the stack a worker's broker runs (the broker itself is ``config.broker``).
- ``worker.actors``: thin actors (parse ids, call one service); declared on a broker by
  ``declare_actors``.
- ``worker.app``: what each worker process boots (``dramatiq worker.app:boot``).
- ``worker.runner``: ``run_worker(processes, threads)`` for ``posture worker``.

Imports point one way: ``worker`` uses ``config`` (settings, engines, the broker, message names)
and ``portal.services``, never the web layer; nothing below imports ``worker``.
"""
