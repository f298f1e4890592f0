"""Wake the process that executes runs when another process queues one: PostgreSQL NOTIFY.

`deme serve --web-processes N` serves HTTP from N child processes and executes runs in
its parent. A child sends a notification on RUNS_QUEUED_CHANNEL after a run commits,
and the parent's DirectWorker, listening on that channel, claims it at once instead of
at its next poll (`worker_poll_seconds`).
"""

import asyncio
import uuid

import asyncpg
import structlog
from sqlalchemy import text

from backend.runtime import Runtime

log = structlog.get_logger(__name__)

RUNS_QUEUED_CHANNEL = "deme_runs_queued"


class NotifyDispatcher:
    """Hands runs to the executing process by NOTIFY; executes nothing itself.

    A burst of dispatches shares notifications: while one is being sent, further calls
    only ask for one more after it, because one notification wakes every idle slot.
    """

    mode = "notify"

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._sender: asyncio.Task[None] | None = None
        self._again = False

    async def start(self) -> None:
        log.info("dispatcher.started", mode=self.mode)

    async def stop(self) -> None:
        if self._sender is not None:
            await self._sender

    async def dispatch(self, run_id: uuid.UUID) -> None:
        self.notify()

    def notify(self) -> None:
        if self._sender is not None and not self._sender.done():
            self._again = True
            return
        self._sender = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        while True:
            self._again = False
            try:
                async with self._runtime.db.engine.connect() as connection:
                    await connection.execute(
                        text("SELECT pg_notify(:channel, '')"), {"channel": RUNS_QUEUED_CHANNEL}
                    )
                    await connection.commit()
            except Exception:  # noqa: BLE001 - the executor's poll finds the run later
                log.exception("dispatcher.notify_failed", channel=RUNS_QUEUED_CHANNEL)
            if not self._again:
                return


async def listen_for_queued_runs(runtime: Runtime, wake: asyncio.Event) -> None:
    """Set `wake` on every notification of a queued run, reconnecting after a failure.

    Runs until cancelled. While the listening connection is down, the worker's poll
    still finds queued runs, only later. The connection is its own, not a pooled one,
    so that cancelling never waits on it: it is closed without a round trip.
    """
    retry_seconds = runtime.settings.worker_poll_seconds

    def wake_up(*_notification: object) -> None:
        wake.set()

    while True:
        connection = None
        try:
            connection = await asyncpg.connect(runtime.db.urls.libpq)
            await connection.add_listener(RUNS_QUEUED_CHANNEL, wake_up)
            log.info("worker.listening", channel=RUNS_QUEUED_CHANNEL)
            # A run queued before the listener started is found by this wake-up.
            wake.set()
            while not connection.is_closed():
                await asyncio.sleep(retry_seconds)
                await connection.execute("SELECT 1")
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - listen again after a pause
            log.warning("worker.listen_failed", error=str(error), retry_in_s=retry_seconds)
        finally:
            if connection is not None:
                connection.terminate()
        await asyncio.sleep(retry_seconds)
