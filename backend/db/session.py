"""The application's handle on PostgreSQL: server, schema, engine and sessions."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend.config import Settings
from backend.db.embedded import DatabaseUrls, ensure_database
from backend.db.migrate import run_migrations

log = structlog.get_logger(__name__)

# A deme process serves a few webhook calls and runs a few pipelines at a time. Each
# executing run holds one connection for its run lock, and its parallel steps open short
# sessions beside it. The embedded server allows 100 connections for every deme process.
DEFAULT_POOL_SIZE = 10
DEFAULT_MAX_OVERFLOW = 10


class Database:
    """Engine and session factory of one database, created by `Database.connect`."""

    def __init__(self, urls: DatabaseUrls, engine: AsyncEngine) -> None:
        self.urls = urls
        self.engine = engine
        # Objects stay readable after commit: data functions commit and return them.
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    async def connect(
        cls,
        settings: Settings,
        *,
        migrate: bool = True,
        pool_size: int = DEFAULT_POOL_SIZE,
        max_overflow: int = DEFAULT_MAX_OVERFLOW,
    ) -> "Database":
        """Start or find the server, upgrade the schema and open a connection pool."""
        urls = await asyncio.to_thread(ensure_database, settings)
        if migrate:
            await asyncio.to_thread(run_migrations, urls)

        engine = create_async_engine(
            urls.sqlalchemy,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
        )
        log.info("database.connected", url=urls.redacted(), pool_size=pool_size)
        return cls(urls, engine)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Open a session; it rolls back what was not committed when the block exits."""
        async with self.sessionmaker() as session:
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
