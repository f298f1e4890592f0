"""Celery execution: the API only enqueues run ids; `deme worker` processes execute them.

Task `deme.run_intake(run_id)` claims the run in PostgreSQL and executes it through
`execute_claimed_run`, the code path of the direct worker. Messages are acknowledged
after the task (`task_acks_late`) and given back to the broker when the worker process
dies (`task_reject_on_worker_lost`), and a worker prefetches one message at a time.
Because a task first claims its run, a second delivery of the same message does nothing.

Each worker process opens its own runtime (database pool, gateways, event loop) on its
first task. The beat schedule sends `deme.requeue_stale_runs`, which queues again the
runs of dead workers and resends the tasks of runs that waited too long.
"""

import asyncio
import socket
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any, TypeVar

import structlog
from celery import Celery, signals

from backend.config import Settings
from backend.db import run_queue
from backend.db import runs as run_store
from backend.jobs.execution import claim_and_execute, current_worker_id, stale_after
from backend.runtime import Runtime, open_runtime
from backend.setup.schedules import pool_refill_beat_entry, register_pool_refill_task

log = structlog.get_logger(__name__)

T = TypeVar("T")

RUN_INTAKE_TASK = "deme.run_intake"
REQUEUE_STALE_RUNS_TASK = "deme.requeue_stale_runs"


class ProcessRuntime:
    """The runtime and event loop of one worker process, opened on its first task."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loop_runner: asyncio.Runner | None = None
        self._stack: AsyncExitStack | None = None
        self._runtime: Runtime | None = None

    def run(self, work: Callable[[Runtime], Awaitable[T]]) -> T:
        """Run `work(runtime)` to completion on this process's event loop."""
        if self._loop_runner is None:
            self._loop_runner = asyncio.Runner()
        return self._loop_runner.run(self._with_runtime(work))

    async def _with_runtime(self, work: Callable[[Runtime], Awaitable[T]]) -> T:
        if self._runtime is None:
            stack = AsyncExitStack()
            self._runtime = await stack.enter_async_context(open_runtime(self._settings))
            self._stack = stack
        return await work(self._runtime)

    def close(self) -> None:
        if self._loop_runner is None:
            return
        if self._stack is not None:
            self._loop_runner.run(self._stack.aclose())
        self._loop_runner.close()
        self._loop_runner = None
        self._stack = None
        self._runtime = None


def broker_url(settings: Settings) -> str:
    if settings.celery_broker_url is None:
        raise ValueError("CELERY_BROKER_URL is not set; Celery mode needs a Redis broker URL")
    return settings.celery_broker_url.get_secret_value()


def create_celery_app(settings: Settings, *, worker: bool = False) -> Celery:
    """Return the Celery application with deme's tasks and beat schedule registered.

    With `worker`, this process is a Celery worker: it closes its runtime on shutdown and
    sends one stale-run sweep when it is ready, so a restart takes over at once.
    """
    app = Celery("deme", broker=broker_url(settings), set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue="deme",
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        beat_schedule={
            "requeue-stale-runs": {
                "task": REQUEUE_STALE_RUNS_TASK,
                "schedule": settings.celery_sweep_seconds,
            },
            "refill-template-pool": pool_refill_beat_entry(),
        },
    )
    process = ProcessRuntime(settings)
    register_pool_refill_task(app, process)

    @app.task(name=RUN_INTAKE_TASK)
    def run_intake(run_id: str) -> bool:
        """Claim and execute the run; return False when it was not claimable."""
        worker_id = current_worker_id()
        return process.run(
            lambda runtime: claim_and_execute(runtime, uuid.UUID(run_id), worker_id)
        )

    @app.task(name=REQUEUE_STALE_RUNS_TASK)
    def requeue_stale_runs() -> int:
        """Queue again the runs of dead workers and send their tasks; return how many."""
        run_ids = process.run(lambda runtime: collect_runs_to_resend(runtime))
        for run_id in run_ids:
            send_run_task(app, run_id)
        return len(run_ids)

    def close_process_runtime(**_: Any) -> None:
        process.close()

    def sweep_on_start(sender: Any = None, **_: Any) -> None:
        log.info("celery.worker_ready", worker=str(sender))
        app.send_task(REQUEUE_STALE_RUNS_TASK)

    if worker:
        # weak=False: the receivers are closures that nothing else keeps alive.
        signals.worker_process_shutdown.connect(close_process_runtime, weak=False)
        signals.worker_shutdown.connect(close_process_runtime, weak=False)
        signals.worker_ready.connect(sweep_on_start, weak=False)
    return app


async def collect_runs_to_resend(runtime: Runtime) -> list[uuid.UUID]:
    """Queue again the runs of dead workers; return them with the runs queued too long."""
    sweep_interval = timedelta(seconds=runtime.settings.celery_sweep_seconds)
    async with runtime.db.session() as session:
        dead = await run_queue.requeue_runs_of_dead_processes(
            session, hostname=socket.gethostname()
        )
        stale = await run_store.requeue_stale_runs(session, older_than=stale_after(runtime))
        waiting = await run_queue.touch_waiting_runs(session, older_than=sweep_interval)
    run_ids = list(dict.fromkeys([*dead, *stale, *waiting]))
    if run_ids:
        log.info("celery.resending_runs", count=len(run_ids))
    return run_ids


def send_run_task(app: Celery, run_id: uuid.UUID) -> None:
    """Send `deme.run_intake(run_id)` to the broker (blocking network I/O)."""
    app.send_task(RUN_INTAKE_TASK, args=[str(run_id)])
    log.info("celery.run_sent", run_id=str(run_id))
