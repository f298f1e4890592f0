"""One way to hand a committed, queued run to whoever executes it, in every mode.

The webhook and the CLI call `dispatch(run_id)` after the run's transaction has
committed. Direct mode wakes the in-process worker; Celery mode sends the run id to
`deme.run_intake`; the CLI without Celery executes the run itself. All three end in
`execute_claimed_run`, so a run executes the same way whatever the mode.
"""

import asyncio
import uuid
from typing import Protocol

import structlog

from backend.db import runs as run_store
from backend.db.models import RunStatus
from backend.jobs.direct import DirectWorker
from backend.jobs.execution import claim_and_execute, current_worker_id
from backend.jobs.wakeup import NotifyDispatcher
from backend.runtime import Runtime

log = structlog.get_logger(__name__)

# notify() looks at this many of the latest queued runs, and remembers this many sent.
NOTIFY_BATCH = 500
SENT_MEMORY = 10_000


class RunDispatcher(Protocol):
    """Executes, or has executed, the runs handed to it."""

    mode: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def dispatch(self, run_id: uuid.UUID) -> None:
        """Hand over a queued run whose transaction has committed."""
        ...

    def notify(self) -> None:
        """Hand over every queued run (when the caller has no run id)."""
        ...


class CeleryDispatcher:
    """Sends run ids to the Celery broker; `deme worker` processes execute them."""

    mode = "celery"

    def __init__(self, runtime: Runtime) -> None:
        from backend.jobs.celery_app import create_celery_app

        self._runtime = runtime
        self._app = create_celery_app(runtime.settings)
        self._background: set[asyncio.Task[None]] = set()
        # Run ids sent by notify(), oldest first, so a burst sends each run once.
        self._sent: dict[uuid.UUID, None] = {}

    async def start(self) -> None:
        log.info("dispatcher.started", mode=self.mode)

    async def stop(self) -> None:
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        self._app.close()

    async def dispatch(self, run_id: uuid.UUID) -> None:
        from backend.jobs.celery_app import send_run_task

        # NOTE: a send that fails here leaves the run queued; the beat sweep resends its
        # task after `celery_sweep_seconds`, so the inquiry is late but not lost.
        await asyncio.to_thread(send_run_task, self._app, run_id)

    def notify(self) -> None:
        # NOTE: each call lists up to NOTIFY_BATCH queued runs, so a burst of n deliveries
        # reads O(n²) rows. Callers that know the run id should await dispatch() instead.
        task = asyncio.get_running_loop().create_task(self._dispatch_queued())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _dispatch_queued(self) -> None:
        """Send the queued runs this dispatcher has not sent yet."""
        try:
            async with self._runtime.db.session() as session:
                runs = await run_store.list_runs(
                    session, status=RunStatus.QUEUED, limit=NOTIFY_BATCH
                )
            for run in reversed(runs):
                if run.id in self._sent:
                    continue
                self._sent[run.id] = None
                await self.dispatch(run.id)
            while len(self._sent) > SENT_MEMORY:
                self._sent.pop(next(iter(self._sent)))
        except Exception:  # noqa: BLE001 - the beat sweep sends these runs later
            log.exception("dispatcher.send_failed", mode=self.mode)


class InlineDispatcher:
    """Executes the run in this process and returns when it ends (the CLI, direct mode).

    When a `deme serve` worker claims the run first, this returns at once.
    """

    mode = "inline"

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.worker_id = current_worker_id()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def dispatch(self, run_id: uuid.UUID) -> None:
        await claim_and_execute(self._runtime, run_id, self.worker_id)

    def notify(self) -> None:
        return None


def open_dispatcher(
    runtime: Runtime, *, inline: bool = False, execute_runs: bool = True
) -> RunDispatcher:
    """Return the dispatcher of the configured mode: Celery when CELERY_BROKER_URL is set.

    Without Celery, a server gets the in-process worker and the CLI (`inline`) executes
    the run itself. A server with `execute_runs=False` (an HTTP-only process of
    `deme serve --web-processes`) notifies the process that executes runs.
    """
    if runtime.settings.celery_broker_url is not None:
        return CeleryDispatcher(runtime)
    if inline:
        return InlineDispatcher(runtime)
    if not execute_runs:
        return NotifyDispatcher(runtime)
    return DirectWorker(runtime)
