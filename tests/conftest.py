"""Shared fixtures: a real embedded PostgreSQL for the whole session.

The session starts one server in a fresh folder under /tmp, whose short path
keeps the Unix socket inside the data folder, and stops it at the end.
"""

import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import text

from backend.config import Settings
from backend.db.embedded import stop_embedded_server
from backend.db.models import Base
from backend.db.session import Database
from backend.emulator import RunningEmulator, start_emulator
from backend.runtime import Runtime, open_runtime

# Enough connections for the concurrency tests to run every caller at once.
TEST_POOL_SIZE = 25


@pytest.fixture(scope="session")
def db_data_dir() -> Iterator[Path]:
    """Fresh deme data folder for the test server. The server is stopped and the folder removed."""
    data_dir = Path(tempfile.mkdtemp(prefix="deme-db-", dir="/tmp"))
    yield data_dir
    stop_embedded_server(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def db_settings(db_data_dir: Path) -> Settings:
    """Settings that select the embedded server, whatever the environment or `.env` contain."""
    return Settings(_env_file=None, data_dir=db_data_dir, database_url=None)


@pytest.fixture(scope="session")
async def database(db_settings: Settings) -> AsyncIterator[Database]:
    """Migrated database on the embedded server, shared by the whole session."""
    db = await Database.connect(db_settings, pool_size=TEST_POOL_SIZE, max_overflow=0)
    yield db
    await db.dispose()


@pytest.fixture
async def db(database: Database) -> AsyncIterator[Database]:
    """The session's database with every deme table emptied before the test."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    async with database.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database


@pytest.fixture
def emulator(db_settings: Settings) -> Iterator[RunningEmulator]:
    """A fresh in-memory Notion and Google emulator for one test."""
    with start_emulator(settings=db_settings) as running:
        yield running


@pytest.fixture
def settings(db_data_dir: Path, emulator: RunningEmulator) -> Settings:
    """Embedded database and the test's emulator; short retry waits keep tests fast."""
    return Settings(
        _env_file=None,
        data_dir=db_data_dir,
        database_url=None,
        emulator_url=emulator.url,
        retry_max_attempts=3,
        retry_base_delay_seconds=0.01,
        retry_max_delay_seconds=0.05,
        template_pool_target=3,
        template_pool_seed=db_data_dir / "no-pool-seed.json",
    )


@pytest.fixture
async def runtime(db: Database, settings: Settings) -> AsyncIterator[Runtime]:
    """A deme process runtime on an empty database and a fresh emulator."""
    async with open_runtime(settings) as opened:
        yield opened


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo `configure_logging` of a CLI command: CliRunner closes the stream it wrote to."""
    config = structlog.get_config()
    root = logging.getLogger()
    handlers = list(root.handlers)
    level = root.level
    yield
    structlog.configure(**config)
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
