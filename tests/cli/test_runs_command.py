"""`deme runs list|show|retry` as subprocesses, on the test database and emulator."""

import json
import os
import subprocess
import sys

import pytest
from pipeline.helpers import counts, run_payload, sample

from backend.emulator.faults import FaultRule


@pytest.fixture
def deme_runs(db, emulator, tmp_path):
    """Return a function running `deme runs ARGS` against the test database and emulator."""
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": db.urls.libpq,
        "EMULATOR_URL": emulator.url,
        "TEMPLATE_POOL_TARGET": "2",
        "TEMPLATE_POOL_SEED": str(tmp_path / "no-seed.json"),
    }
    for name in ("NOTION_TOKEN", "GOOGLE_CREDENTIALS_FILE", "CELERY_BROKER_URL"):
        env.pop(name, None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", "runs", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture
async def partial_run_id(runtime, emulator) -> str:
    """Id of a run whose calendar event failed (HTTP 400), so it ended partial."""
    emulator.faults.add([FaultRule(service="calendar", method="POST", status=400)])
    result = await run_payload(runtime, sample("wedding-lyon", submission_id="cli-runs-1"))
    assert result["status"] == "partial"
    return result["run_id"]


async def test_runs_list_json_filters_status(deme_runs, partial_run_id):
    completed = deme_runs("list", "--json", "--status", "partial")

    assert completed.returncode == 0, completed.stderr
    listed = json.loads(completed.stdout)
    assert [run["id"] for run in listed["runs"]] == [partial_run_id]
    assert listed["runs"][0]["error"]["step"] == "create_calendar_event"


async def test_runs_show_prints_steps(deme_runs, partial_run_id):
    completed = deme_runs("show", partial_run_id)

    assert completed.returncode == 0, completed.stderr
    assert "partial" in completed.stdout
    assert "create_calendar_event" in completed.stdout
    assert "upsert_client" in completed.stdout


async def test_runs_show_unknown_run(deme_runs, db):
    completed = deme_runs("show", "00000000-0000-0000-0000-000000000000")

    assert completed.returncode == 4
    assert "not found" in completed.stderr


async def test_runs_retry_completes_partial_run(deme_runs, partial_run_id, emulator):
    completed = deme_runs("retry", partial_run_id, "--json")

    assert completed.returncode == 0, completed.stderr
    detail = json.loads(completed.stdout)
    assert detail["status"] == "succeeded"
    assert detail["step_attempts"]["create_calendar_event"] == 2
    found = counts(emulator)
    assert found.events == 1
    assert found.prestations == 1
    assert found.emails == 1
