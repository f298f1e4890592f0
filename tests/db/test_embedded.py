"""The embedded PostgreSQL server and the URLs derived from DATABASE_URL."""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from backend.config import Settings
from backend.db.embedded import (
    embedded_pgdata,
    ensure_database,
    start_embedded_server,
    stop_embedded_server,
    urls_from_database_url,
)
from backend.db.errors import DatabaseSetupError
from backend.db.session import Database

REPO_ROOT = Path(__file__).resolve().parents[2]

SECOND_PROCESS = """
import sys
from pathlib import Path

import psycopg

from backend.config import Settings
from backend.db.embedded import ensure_database

urls = ensure_database(Settings(_env_file=None, data_dir=Path(sys.argv[1]), database_url=None))
with psycopg.connect(urls.libpq) as connection:
    started = connection.execute("SELECT pg_postmaster_start_time()").fetchone()[0]
print(urls.libpq)
print(started.isoformat())
"""


def _postmaster_start_time(libpq_url: str) -> str:
    with psycopg.connect(libpq_url) as connection:
        return connection.execute("SELECT pg_postmaster_start_time()").fetchone()[0].isoformat()


@pytest.mark.parametrize(
    ("url", "sqlalchemy", "libpq"),
    [
        (
            "postgresql://deme:s%40cret@db.example:5432/deme",
            "postgresql+asyncpg://deme:s%40cret@db.example:5432/deme",
            "postgresql://deme:s%40cret@db.example:5432/deme",
        ),
        (
            "postgres://deme:pw@db.example/deme",
            "postgresql+asyncpg://deme:pw@db.example/deme",
            "postgresql://deme:pw@db.example/deme",
        ),
        (
            "postgresql+psycopg://deme:pw@db.example/deme?sslmode=require",
            "postgresql+asyncpg://deme:pw@db.example/deme?ssl=require",
            "postgresql://deme:pw@db.example/deme?sslmode=require",
        ),
        (
            "postgresql://postgres:@/postgres?host=/tmp/deme-x/pg",
            "postgresql+asyncpg://postgres:@/postgres?host=%2Ftmp%2Fdeme-x%2Fpg",
            "postgresql://postgres:@/postgres?host=%2Ftmp%2Fdeme-x%2Fpg",
        ),
    ],
)
def test_urls_from_database_url(url: str, sqlalchemy: str, libpq: str) -> None:
    urls = urls_from_database_url(url)

    assert urls.sqlalchemy == sqlalchemy
    assert urls.libpq == libpq


def test_urls_repr_hides_password() -> None:
    urls = urls_from_database_url("postgresql://deme:hunter2@db.example/deme")

    assert "hunter2" not in repr(urls)
    assert "hunter2" not in urls.redacted()


def test_urls_reject_other_databases() -> None:
    with pytest.raises(DatabaseSetupError, match="must start with postgresql://"):
        urls_from_database_url("mysql://deme:pw@db.example/deme")


def test_second_process_reuses_server(database: Database, db_data_dir: Path) -> None:
    started_here = _postmaster_start_time(database.urls.libpq)

    output = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, str(db_data_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    # structlog's default output goes to stdout too, before the two printed lines.
    libpq_url, started_there = output[-2:]

    assert libpq_url == database.urls.libpq
    assert started_there == started_here
    # The server outlives the second process, which left it running on exit.
    assert _postmaster_start_time(database.urls.libpq) == started_here


def test_database_url_selects_that_server(database: Database) -> None:
    settings = Settings(_env_file=None, database_url=database.urls.libpq)

    urls = ensure_database(settings)

    assert urls == database.urls


def test_long_data_dir_moves_socket_out() -> None:
    # With 140 bytes of folder names, the socket path would exceed the 108-byte AF_UNIX limit.
    root = Path(tempfile.mkdtemp(prefix="deme-long-", dir="/tmp"))
    data_dir = root / ("a" * 70) / ("b" * 70)
    socket_dir = None
    try:
        urls = start_embedded_server(data_dir)
        socket_dir = Path(psycopg.conninfo.conninfo_to_dict(urls.libpq)["host"])

        assert socket_dir != embedded_pgdata(data_dir)
        assert len(str(socket_dir / ".s.PGSQL.5432")) < 108
        assert _postmaster_start_time(urls.libpq)
    finally:
        stop_embedded_server(data_dir)
        shutil.rmtree(root, ignore_errors=True)
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)


async def test_concurrent_starts_share_server() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="deme-threads-", dir="/tmp"))
    try:
        first, second = await asyncio.gather(
            asyncio.to_thread(start_embedded_server, data_dir),
            asyncio.to_thread(start_embedded_server, data_dir),
        )

        assert first == second
        assert _postmaster_start_time(first.libpq)
    finally:
        stop_embedded_server(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_stale_pid_file_is_replaced() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="deme-stale-", dir="/tmp"))
    try:
        first = start_embedded_server(data_dir)
        stop_embedded_server(data_dir)
        # A crash leaves postmaster.pid behind, and its pid may now belong to another
        # process. The pid of this test's own interpreter plays that process.
        pgdata = embedded_pgdata(data_dir)
        fields = [os.getpid(), pgdata, 1700000000, 5432, pgdata, "", "0 0", "ready"]
        (pgdata / "postmaster.pid").write_text("".join(f"{field}\n" for field in fields))

        second = start_embedded_server(data_dir)

        assert second == first
        assert _postmaster_start_time(second.libpq)
    finally:
        stop_embedded_server(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
