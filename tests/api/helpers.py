"""Helpers for API tests: staff headers, waiting for a run, counting stored rows."""

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from backend.db.session import Database

API_TOKEN = "test-token"
# Small enough for a test to exceed without building megabytes, larger than every sample.
MAX_BODY_BYTES = 2048
FINISHED_STATUSES = ("succeeded", "partial", "failed")
RUN_TIMEOUT_SECONDS = 20.0


def staff_headers(token: str = API_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def wait_for_run(http: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    """Poll GET /runs/{id} until the run has finished, failing the test after the timeout."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while True:
        response = await http.get(f"/runs/{run_id}", headers=staff_headers())
        assert response.status_code == 200, response.text
        run = response.json()
        if run["status"] in FINISHED_STATUSES:
            return run
        if time.monotonic() > deadline:
            pytest.fail(
                f"run {run_id} not finished after {RUN_TIMEOUT_SECONDS} s: "
                f"status {run['status']}, step {run['current_step']}"
            )
        await asyncio.sleep(0.1)


async def count_rows(db: Database, table: str) -> int:
    async with db.session() as session:
        return await session.scalar(text(f"SELECT count(*) FROM {table}"))
