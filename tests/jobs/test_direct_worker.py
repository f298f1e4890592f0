"""Direct worker: claims, takeover of dead workers' runs by heartbeat or pid, and losing a run."""

import asyncio
import json
import socket
import subprocess
import sys
import uuid
from datetime import timedelta

from pipeline.helpers import counts, sample
from sqlalchemy import text

from backend.db import run_queue
from backend.db import runs as run_store
from backend.emulator.latency import LatencyProfile
from backend.graph.submissions import accept_submission
from backend.jobs.direct import DirectWorker
from backend.jobs.execution import execute_claimed_run

RUN_TIMEOUT_SECONDS = 20.0


async def queue_sample(runtime, submission_id: str) -> uuid.UUID:
    raw = json.dumps(sample("wedding-lyon", submission_id=submission_id)).encode()
    accepted = await accept_submission(
        runtime.db, runtime.catalog, raw_body=raw, content_type="application/json"
    )
    return accepted.run_id


async def set_running(
    runtime, run_id: uuid.UUID, locked_by: str, heartbeat_age: timedelta
) -> None:
    async with runtime.db.session() as session:
        await session.execute(
            text(
                "UPDATE runs SET status = 'running', locked_by = :locked_by, "
                "started_at = now(), heartbeat_at = now() - CAST(:age AS interval) "
                "WHERE id = :run_id"
            ),
            {"locked_by": locked_by, "age": heartbeat_age, "run_id": run_id},
        )
        await session.commit()


async def run_status(runtime, run_id: uuid.UUID) -> str:
    async with runtime.db.session() as session:
        run = await run_store.get_run(session, run_id=run_id)
        return str(run.status)


async def wait_until_finished(runtime, run_id: uuid.UUID) -> str:
    deadline = asyncio.get_running_loop().time() + RUN_TIMEOUT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        status = await run_status(runtime, run_id)
        if status not in ("queued", "running"):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} still {status} after {RUN_TIMEOUT_SECONDS} s")


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_worker_resumes_run_with_stale_heartbeat(runtime, emulator):
    run_id = await queue_sample(runtime, "stale-1")
    await set_running(runtime, run_id, "gone-host:1", timedelta(minutes=10))
    worker = DirectWorker(runtime, concurrency=1)

    await worker.start()
    try:
        status = await wait_until_finished(runtime, run_id)
    finally:
        await worker.stop()

    assert status == "succeeded"
    assert counts(emulator).prestations == 1


async def test_worker_leaves_run_with_fresh_heartbeat(runtime):
    run_id = await queue_sample(runtime, "fresh-1")
    await set_running(runtime, run_id, "other-host:1", timedelta(seconds=1))
    worker = DirectWorker(runtime, concurrency=1)

    requeued = await worker.requeue_abandoned_runs()

    assert requeued == []
    assert await run_status(runtime, run_id) == "running"


async def test_worker_requeues_run_of_dead_local_process(runtime):
    run_id = await queue_sample(runtime, "dead-1")
    await set_running(runtime, run_id, f"{socket.gethostname()}:{dead_pid()}", timedelta(0))
    worker = DirectWorker(runtime, concurrency=1)

    requeued = await worker.requeue_abandoned_runs()

    assert requeued == [run_id]
    assert await run_status(runtime, run_id) == "queued"


async def test_concurrent_claims_one_wins(runtime):
    run_id = await queue_sample(runtime, "claim-1")

    async def claim(worker_id: str):
        async with runtime.db.session() as session:
            return await run_queue.claim_run(
                session, run_id=run_id, worker_id=worker_id, stale_after=timedelta(minutes=1)
            )

    claims = await asyncio.gather(*(claim(f"host:{number}") for number in range(10)))

    winners = [run for run in claims if run is not None]
    assert len(winners) == 1
    assert winners[0].attempts == 1


async def test_execution_stops_when_run_taken_over(runtime, emulator):
    runtime.settings.worker_heartbeat_seconds = 0.05
    emulator.latency.update(LatencyProfile.parse('{"notion": 200}'))
    run_id = await queue_sample(runtime, "lost-1")
    async with runtime.db.session() as session:
        await run_queue.claim_run(
            session, run_id=run_id, worker_id="me:1", stale_after=timedelta(minutes=1)
        )
    execution = asyncio.create_task(execute_claimed_run(runtime, run_id, "me:1"))
    await asyncio.sleep(0.3)

    await set_running(runtime, run_id, "someone-else:2", timedelta(0))
    result = await asyncio.wait_for(execution, timeout=5)

    assert result is None
    assert await run_status(runtime, run_id) == "running"
