"""Named locks that hold across processes, for find-or-create sequences.

A lock is a PostgreSQL transaction-level advisory lock on a hash of its name, held by
a connection for as long as the block runs, so two workers on two machines cannot both
decide that a client does not exist yet and create it twice.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

KeyLock = Callable[[str], AbstractAsyncContextManager[None]]


def advisory_lock(engine: AsyncEngine) -> KeyLock:
    """Return a `KeyLock` backed by `pg_advisory_xact_lock` on `engine`."""

    @asynccontextmanager
    async def lock(name: str) -> AsyncIterator[None]:
        async with engine.connect() as connection, connection.begin():
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"),
                {"name": f"deme:{name}"},
            )
            yield

    return lock
