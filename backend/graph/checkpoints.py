"""LangGraph's PostgreSQL checkpointer on a psycopg pool (thread id = run id)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool


@asynccontextmanager
async def open_checkpointer(
    libpq_url: str, *, max_size: int = 4
) -> AsyncIterator[AsyncPostgresSaver]:
    """Open a pool, create the checkpoint tables if needed, and yield the saver."""
    pool = AsyncConnectionPool(
        libpq_url,
        min_size=1,
        max_size=max_size,
        open=False,
        # The settings AsyncPostgresSaver expects of its connections.
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    await pool.open()
    try:
        saver = AsyncPostgresSaver(pool)
        await saver.setup()
        yield saver
    finally:
        await pool.close()
