"""Alembic migrations applied programmatically, alone and concurrently."""

import asyncio
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from backend.db.embedded import DatabaseUrls, create_extensions
from backend.db.migrate import psycopg_url, run_migrations
from backend.db.models import Base
from backend.db.session import Database


@pytest.fixture
def empty_database(database: Database) -> Iterator[DatabaseUrls]:
    """A new, empty database on the test server, dropped after the test."""
    name = f"deme_migrations_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database.urls.libpq, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield database.urls.with_database(name)
    with psycopg.connect(database.urls.libpq, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _revision(urls: DatabaseUrls) -> str | None:
    with psycopg.connect(urls.libpq) as connection:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _tables(urls: DatabaseUrls) -> set[str]:
    with psycopg.connect(urls.libpq) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def test_migrations_run_twice(empty_database: DatabaseUrls) -> None:
    first = run_migrations(empty_database)
    second = run_migrations(empty_database)

    assert first == second
    assert _revision(empty_database) == first
    assert set(Base.metadata.tables) <= _tables(empty_database)


async def test_concurrent_migrations_both_succeed(empty_database: DatabaseUrls) -> None:
    revisions = await asyncio.gather(
        asyncio.to_thread(run_migrations, empty_database),
        asyncio.to_thread(run_migrations, empty_database),
    )

    assert revisions[0] == revisions[1]
    assert _revision(empty_database) == revisions[0]
    assert set(Base.metadata.tables) <= _tables(empty_database)


async def test_concurrent_extension_creation(empty_database: DatabaseUrls) -> None:
    await asyncio.gather(
        asyncio.to_thread(create_extensions, empty_database),
        asyncio.to_thread(create_extensions, empty_database),
    )

    with psycopg.connect(empty_database.libpq) as connection:
        row = connection.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
    assert row is not None


def _owned_by_deme(name: str | None, type_: str, _parent_names: dict) -> bool:
    return not (type_ == "table" and name is not None and name.startswith("checkpoint"))


def test_migrated_schema_matches_models(database: Database) -> None:
    engine = create_engine(psycopg_url(database.urls))
    try:
        with engine.connect() as connection:
            # LangGraph's checkpointer creates its own checkpoint_* tables, outside Alembic.
            context = MigrationContext.configure(
                connection, opts={"include_name": _owned_by_deme}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()

    assert differences == []
