"""Configuration and the composition root: what every entry point builds its parts from.

The CLI (``posture``), the web app and the workers each load :class:`config.settings.Settings` once
and build what they need through these modules, which sit below all three (DESIGN.md "Data and
isolation", STYLE.md "Configuration"):

- ``config.settings``: the typed ``POSTURE_*`` settings (secrets never print).
- ``config.database``: the owner's URL (or the embedded cluster), the roles, the scope key, the web
  and worker engines, and ``migrate_database`` for ``posture migrate``.
- ``config.microsoft``: the service's app credentials and the scanner environment.
- ``config.broker``: the Dramatiq broker chosen by URL, for consumers and senders.
- ``config.messages``: actor and queue names, and how producers send messages without the actors.

Imports point down from here only: ``portal`` (db, services), ``scanner`` and Dramatiq.
"""
