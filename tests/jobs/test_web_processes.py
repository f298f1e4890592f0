"""`deme serve --web-processes`: HTTP-only processes, NOTIFY wake-ups, the executing parent."""

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pipeline.helpers import counts, sample

from backend.jobs.wakeup import RUNS_QUEUED_CHANNEL, NotifyDispatcher, listen_for_queued_runs

from .test_direct_worker import queue_sample

SERVER_START_TIMEOUT_SECONDS = 60.0
RUN_TIMEOUT_SECONDS = 30.0
API_TOKEN = "web-processes-token"


async def test_notify_wakes_listener(runtime) -> None:
    wake = asyncio.Event()
    listener = asyncio.create_task(listen_for_queued_runs(runtime, wake))
    try:
        # The listener sets the event once when it starts listening.
        await asyncio.wait_for(wake.wait(), timeout=5)
        wake.clear()
        dispatcher = NotifyDispatcher(runtime)
        run_id = await queue_sample(runtime, "notify-1")

        await dispatcher.dispatch(run_id)
        await asyncio.wait_for(wake.wait(), timeout=5)
        await dispatcher.stop()
    finally:
        listener.cancel()


async def test_notify_burst_shares_notifications(runtime) -> None:
    received: list[str] = []
    async with runtime.db.engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.add_listener(RUNS_QUEUED_CHANNEL, lambda *args: received.append(args[2]))
        dispatcher = NotifyDispatcher(runtime)

        for _ in range(50):
            dispatcher.notify()
        await dispatcher.stop()
        await asyncio.sleep(0.5)

    # One notification in flight when the calls came, and one more after it.
    assert 1 <= len(received) <= 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def web_server(db, emulator, tmp_path: Path):
    """`deme serve --web-processes 2` on the test database; yields (base URL, process)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": db.urls.libpq,
        "EMULATOR_URL": emulator.url,
        "API_TOKEN": API_TOKEN,
        "TEMPLATE_POOL_TARGET": "3",
        "TEMPLATE_POOL_SEED": str(tmp_path / "no-seed.json"),
        "WORKER_POLL_SECONDS": "30",
    }
    for name in ("NOTION_TOKEN", "GOOGLE_CREDENTIALS_FILE", "CELERY_BROKER_URL"):
        env.pop(name, None)
    log_path = tmp_path / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port),
         "--web-processes", "2"],
        env=env, cwd=tmp_path, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        pytest.fail(f"deme serve did not start: {log_path.read_text()}")
    try:
        yield base_url, process, log_path
    finally:
        # A test may have killed the whole group already.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def _post_and_finish(http: httpx.AsyncClient, submission_id: str) -> dict:
    body = json.dumps(sample("wedding-lyon", submission_id=submission_id))
    response = await http.post(
        "/webhooks/form", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    run_id = response.json()["run_id"]
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        run = (
            await http.get(f"/runs/{run_id}", headers={"Authorization": f"Bearer {API_TOKEN}"})
        ).json()
        if run["status"] not in ("queued", "running"):
            return run
        await asyncio.sleep(0.1)
    pytest.fail(f"run {run_id} still {run['status']} after {RUN_TIMEOUT_SECONDS} s")


async def test_web_processes_store_and_parent_executes(web_server, emulator) -> None:
    base_url, _process, log_path = web_server
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        runs = await asyncio.gather(*(_post_and_finish(http, f"web-{n}") for n in range(6)))

    assert [run["status"] for run in runs] == ["succeeded"] * 6
    log = [json.loads(line) for line in log_path.read_text().splitlines()
           if line.startswith("{")]
    dispatchers = [entry["mode"] for entry in log if entry["event"] == "dispatcher.started"]
    workers = [entry for entry in log if entry["event"] == "worker.started"]
    assert dispatchers == ["notify", "notify"]
    assert len(workers) == 1
    workspace = counts(emulator)
    assert workspace.clients == 1  # the sample's email each time: one client
    assert workspace.prestations == 6
    assert workspace.events == 6
    assert workspace.emails == 6


async def test_killed_web_process_is_replaced(web_server) -> None:
    base_url, process, _log_path = web_server
    children = _web_children(process.pid)
    assert len(children) == 2
    os.kill(children[0], signal.SIGKILL)

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        runs = await asyncio.gather(*(_post_and_finish(http, f"kill-{n}") for n in range(4)))

    assert [run["status"] for run in runs] == ["succeeded"] * 4
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while len(_web_children(process.pid)) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    replaced = _web_children(process.pid)
    assert len(replaced) == 2
    assert children[0] not in replaced


def _web_children(parent_pid: int) -> list[int]:
    """Return the pids of the uvicorn worker processes, which run the HTTP-only app."""
    listed = subprocess.run(
        ["pgrep", "-P", str(parent_pid), "-f", "spawn_main"],
        capture_output=True, text=True, check=False,
    )
    return [int(pid) for pid in listed.stdout.split()]


async def test_web_processes_exit_with_killed_parent(web_server) -> None:
    _base_url, process, log_path = web_server
    children = _web_children(process.pid)
    assert len(children) == 2

    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)

    assert not any(_alive(pid) for pid in children), log_path.read_text()[-2000:]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
