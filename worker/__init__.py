"""Background work on Dramatiq: scan tenants, run the schedule (more actors come with later issues).

- ``worker.broker``: the broker chosen by URL (RabbitMQ, Redis, or PostgreSQL via dramatiq-pg for
  the embedded default) with one middleware stack; ``ensure_broker_schema`` for the PostgreSQL one.
- ``worker.middleware``: log context per message, retry classification, the dead-letter path.
- ``worker.actors``: thin actors (parse ids, call one service); declared on a broker by
  ``declare_actors``.
- ``worker.queues``: actor and queue names, and ``BrokerScanQueue``, the ``ScanQueue`` that
  producers (the web app, the schedule) hand to ``portal.services.scans``.
- ``worker.app``: what each worker process boots (``dramatiq worker.app:boot``).
- ``worker.runner``: ``run_worker(processes, threads)`` for ``posture worker``.

Imports point one way: ``worker`` uses ``portal.services`` (and ``portal.db`` for engines), never
the web layer; ``portal`` never imports ``worker``.
"""
