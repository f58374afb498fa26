"""Alembic environment for the job store: always run in-process on the store's own connection."""

from alembic import context

from prodkit.jobs.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  version_table=context.config.attributes["version_table"], render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
