"""Direct execution: runs claimed from PostgreSQL and executed inside the API process.

Workers claim queued runs with `FOR UPDATE SKIP LOCKED`, so several processes can share
the queue. A notification on `backend.jobs.wakeup.RUNS_QUEUED_CHANNEL`, sent by HTTP-only
processes, wakes the worker at once; otherwise it polls. On start, and then every
`worker_stale_after_seconds / 2`, the worker queues again the runs whose worker is dead:
a process of this host that no longer exists, or any worker whose heartbeat is older
than `worker_stale_after_seconds`. The runner then resumes each one from its LangGraph
checkpoint.
"""

import asyncio
import contextlib
import socket
import uuid

import structlog

from backend.db import run_queue
from backend.db import runs as run_store
from backend.jobs.execution import current_worker_id, execute_claimed_run, stale_after
from backend.jobs.wakeup import listen_for_queued_runs
from backend.runtime import Runtime

log = structlog.get_logger(__name__)


class DirectWorker:
    """Executes queued runs, at most `worker_concurrency` at a time (or `concurrency`)."""

    mode = "direct"

    def __init__(self, runtime: Runtime, *, concurrency: int | None = None) -> None:
        self._runtime = runtime
        self._concurrency = concurrency or runtime.settings.worker_concurrency
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.worker_id = current_worker_id()

    async def start(self) -> None:
        await self.requeue_abandoned_runs()
        self._tasks = [
            asyncio.create_task(self._loop(slot), name=f"deme-worker-{slot}")
            for slot in range(self._concurrency)
        ]
        self._tasks.append(asyncio.create_task(self._sweep(), name="deme-worker-sweep"))
        self._tasks.append(
            asyncio.create_task(
                listen_for_queued_runs(self._runtime, self._wake), name="deme-worker-listen"
            )
        )
        self._wake.set()
        log.info("worker.started", worker_id=self.worker_id, concurrency=self._concurrency)

    async def requeue_abandoned_runs(self) -> list[uuid.UUID]:
        """Queue again the runs of dead workers; return their ids."""
        async with self._runtime.db.session() as session:
            dead = await run_queue.requeue_runs_of_dead_processes(
                session, hostname=socket.gethostname()
            )
            stale = await run_store.requeue_stale_runs(
                session, older_than=stale_after(self._runtime)
            )
        requeued = dead + stale
        if requeued:
            log.warning("worker.requeued_runs", count=len(requeued), worker_id=self.worker_id)
            self._wake.set()
        return requeued

    def notify(self) -> None:
        """Wake the workers: a run was queued."""
        self._wake.set()

    async def dispatch(self, run_id: uuid.UUID) -> None:
        """Have a worker slot claim the queued run `run_id` (and any other queued run)."""
        self._wake.set()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        log.info("worker.stopped", worker_id=self.worker_id)

    async def _sweep(self) -> None:
        interval = self._runtime.settings.worker_stale_after_seconds / 2
        while True:
            await asyncio.sleep(interval)
            try:
                await self.requeue_abandoned_runs()
            except Exception:  # noqa: BLE001 - the next sweep tries again
                log.exception("worker.sweep_failed", worker_id=self.worker_id)

    async def _loop(self, slot: int) -> None:
        poll_seconds = self._runtime.settings.worker_poll_seconds
        while True:
            # Cleared before the claim, so a run queued after the claim's query wakes us.
            self._wake.clear()
            try:
                async with self._runtime.db.session() as session:
                    run = await run_store.claim_queued_run(session, worker_id=self.worker_id)
            except Exception:  # noqa: BLE001 - a database outage must not stop the worker
                log.exception("worker.claim_failed", slot=slot)
                await asyncio.sleep(poll_seconds)
                continue
            if run is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)
                continue
            # Another slot may find work too: a burst is shared at once.
            self._wake.set()
            await execute_claimed_run(self._runtime, run.id, self.worker_id)
