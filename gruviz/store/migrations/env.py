"""Alembic's entry point: gruviz runs the migrations itself (`store.engine.migrate`),
on the connection it opened, so the same code serves SQLite and PostgreSQL."""

from alembic import context

from gruviz.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
