"""Alembic configured in code, so migrations run from any working folder and from the wheel."""

from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from backend.db.embedded import DatabaseUrls
from backend.db.locks import SCHEMA_LOCK_KEY

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(urls: DatabaseUrls) -> Config:
    """Build the Alembic configuration for this database, without an alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic reads options through ConfigParser, where "%" starts an interpolation.
    config.set_main_option("sqlalchemy.url", psycopg_url(urls).replace("%", "%%"))
    return config


def run_migrations(urls: DatabaseUrls) -> str:
    """Upgrade the database schema to the latest revision and return that revision.

    Processes that start together wait for each other on an advisory lock held
    for the whole upgrade, so the second one finds the schema current.
    Blocking: call it with `asyncio.to_thread` from async code.
    """
    config = alembic_config(urls)
    head = ScriptDirectory.from_config(config).get_current_head()
    engine = create_engine(psycopg_url(urls), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
            before = MigrationContext.configure(connection).get_current_revision()

            # env.py runs the migrations on this connection, inside this transaction.
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
    finally:
        engine.dispose()

    if before != head:
        log.info("database.migrated", from_revision=before, to_revision=head)
    return str(head)


def psycopg_url(urls: DatabaseUrls) -> str:
    """Return the SQLAlchemy URL of this database for the synchronous psycopg driver."""
    url = make_url(urls.libpq).set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)
