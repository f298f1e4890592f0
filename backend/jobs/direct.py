"""Direct execution: runs claimed from PostgreSQL and executed inside the API process.

Workers claim queued runs with `FOR UPDATE SKIP LOCKED`, so several processes can share
the queue. On start the worker also takes back the runs a dead process left running.
"""

import asyncio
import contextlib
import os
import socket
from datetime import timedelta

import structlog

from backend.db import runs as run_store
from backend.runtime import Runtime

log = structlog.get_logger(__name__)


class DirectWorker:
    """Executes queued runs with at most `concurrency` at a time."""

    def __init__(self, runtime: Runtime, *, concurrency: int = 4) -> None:
        self._runtime = runtime
        self._concurrency = concurrency
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"

    async def start(self) -> None:
        async with self._runtime.db.session() as session:
            # NOTE: a run left running by a process on another machine that is still alive
            # would be taken over too; heartbeats make that safe once workers send them.
            requeued = await run_store.requeue_stale_runs(session, older_than=timedelta(0))
        if requeued:
            log.warning("worker.requeued_runs", count=len(requeued))
        self._tasks = [
            asyncio.create_task(self._loop(slot), name=f"deme-worker-{slot}")
            for slot in range(self._concurrency)
        ]
        self._wake.set()

    def notify(self) -> None:
        """Wake the workers: a run was queued."""
        self._wake.set()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self, slot: int) -> None:
        while True:
            async with self._runtime.db.session() as session:
                run = await run_store.claim_queued_run(session, worker_id=self.worker_id)
            if run is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=5.0)
                continue
            try:
                await self._runtime.runner.execute(str(run.id))
            except Exception:  # noqa: BLE001 - one broken run must not stop the worker
                log.exception("worker.run_crashed", run_id=str(run.id), slot=slot)
