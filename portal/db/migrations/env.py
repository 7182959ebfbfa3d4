"""Alembic environment: runs on a connection handed over by ``portal.db.migrate`` (the owner role).

Migrations never import the application's models: each revision describes the schema as it was
when written, with plain ``op`` calls and SQL, so an old revision keeps working after models change.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
