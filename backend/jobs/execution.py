"""Execute one claimed run while sending its heartbeats: the code path of every worker.

The direct worker, the Celery task and `deme runs retry` all end in
`execute_claimed_run`, which calls `IntakeRunner.execute`. A heartbeat task records
that the run is alive every `worker_heartbeat_seconds`; when another worker has taken
the run over (this one was silent too long), the execution here is cancelled so that
two workers never execute one run at once.
"""

import asyncio
import contextlib
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

import structlog

from backend.db import run_queue
from backend.db import runs as run_store
from backend.db.models import RunStatus
from backend.errors import RunCrashedError
from backend.runtime import Runtime

log = structlog.get_logger(__name__)


def current_worker_id() -> str:
    """Return this process's worker id, `hostname:pid` (the form takeovers rely on)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def stale_after(runtime: Runtime) -> timedelta:
    return timedelta(seconds=runtime.settings.worker_stale_after_seconds)


async def claim_and_execute(runtime: Runtime, run_id: uuid.UUID, worker_id: str) -> bool:
    """Claim the run and execute it; return False when it was not claimable.

    A run held by a dead process of this host is taken back at once; one held by a
    live worker, or finished, is left alone.
    """
    async with runtime.db.session() as session:
        run = await run_queue.claim_run(
            session, run_id=run_id, worker_id=worker_id, stale_after=stale_after(runtime)
        )
        if run is None:
            requeued = await run_queue.requeue_runs_of_dead_processes(
                session, hostname=socket.gethostname(), run_id=run_id
            )
            if requeued:
                run = await run_queue.claim_run(
                    session, run_id=run_id, worker_id=worker_id, stale_after=stale_after(runtime)
                )
    if run is None:
        log.info("run.not_claimed", run_id=str(run_id), worker_id=worker_id)
        return False
    await execute_claimed_run(runtime, run_id, worker_id)
    return True


async def execute_claimed_run(
    runtime: Runtime, run_id: uuid.UUID, worker_id: str
) -> dict[str, Any] | None:
    """Execute a run this worker has claimed; return its result, None if it was taken over.

    The runner ends a run that crashed as `failed` itself. Any other exception out of
    it (the database gone, say) ends the run `failed` here with a retryable error, so
    that it is neither lost nor taken over in a loop.
    """
    execution = asyncio.create_task(runtime.runner.execute(str(run_id)))
    lost = asyncio.Event()
    heartbeat = asyncio.create_task(_send_heartbeats(runtime, run_id, worker_id, execution, lost))
    try:
        return await execution
    except asyncio.CancelledError:
        if not lost.is_set():
            raise
        log.warning("run.taken_over", run_id=str(run_id), worker_id=worker_id)
        return None
    except RunCrashedError:
        # The runner has already ended the run as failed with the error.
        log.warning("run.crash_recorded", run_id=str(run_id), worker_id=worker_id)
        return None
    except Exception as exc:
        log.exception("run.crashed", run_id=str(run_id), worker_id=worker_id)
        try:
            await _record_crash(runtime, run_id, exc)
        except Exception:  # noqa: BLE001 - the stale-run sweep takes the run over later
            log.exception("run.crash_not_recorded", run_id=str(run_id))
        return None
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat


async def _send_heartbeats(
    runtime: Runtime,
    run_id: uuid.UUID,
    worker_id: str,
    execution: asyncio.Task[Any],
    lost: asyncio.Event,
) -> None:
    interval = runtime.settings.worker_heartbeat_seconds
    while not execution.done():
        await asyncio.sleep(interval)
        try:
            async with runtime.db.session() as session:
                alive = await run_store.record_heartbeat(
                    session, run_id=run_id, worker_id=worker_id
                )
                if alive:
                    continue
                run = await run_store.get_run(session, run_id=run_id)
        except Exception as exc:  # noqa: BLE001 - the next beat tries again
            log.warning("run.heartbeat_failed", run_id=str(run_id), error=str(exc))
            continue
        # A finished run releases its lock before the runner returns: nothing is lost then.
        if run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            lost.set()
            execution.cancel()
        return


async def _record_crash(runtime: Runtime, run_id: uuid.UUID, exc: Exception) -> None:
    async with runtime.db.session() as session:
        run = await run_store.get_run(session, run_id=run_id)
        error = {
            "step": run.current_step if run else None,
            "message": f"internal error: {type(exc).__name__}: {exc}",
            "retryable": True,
            "service": None,
            "status": None,
        }
        with contextlib.suppress(LookupError):
            await run_store.set_run_status(
                session, run_id=run_id, status=RunStatus.FAILED, error=error
            )
