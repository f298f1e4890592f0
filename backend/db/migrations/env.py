"""Alembic environment for deme's schema.

`backend.db.migrate.run_migrations` passes an open connection in
`config.attributes["connection"]`; other callers get one made from the
`sqlalchemy.url` option (a synchronous `postgresql+psycopg://` URL).
"""

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from backend.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return

    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("Alembic has no database: set the sqlalchemy.url option")
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        run_on(connection)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
