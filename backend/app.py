"""FastAPI application: the form webhook, runs and health."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backend.api import health, runs, search, webhooks
from backend.api import pool as pool_api
from backend.config import Settings
from backend.db.submission_store import SubmissionBatcher
from backend.jobs.dispatch import open_dispatcher
from backend.runtime import open_runtime


def create_app(settings: Settings, *, execute_runs: bool = True) -> FastAPI:
    """Build the API. With `execute_runs=False`, queued runs are left to another process."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            dispatcher = open_dispatcher(runtime, execute_runs=execute_runs)
            app.state.runtime = runtime
            app.state.dispatcher = dispatcher
            # `worker` is the older name, kept for callers of `worker.notify()`.
            app.state.worker = dispatcher
            app.state.submission_batcher = SubmissionBatcher(runtime.db)
            await dispatcher.start()
            # Objects made at startup (modules, settings, pools) are never freed: keeping
            # them out of the collector's generations makes each full collection cheaper.
            # Measured with bench/burst.py, a full collection otherwise added up to 100 ms
            # to the responses of the deliveries it interrupted.
            gc.freeze()
            try:
                yield
            finally:
                await app.state.submission_batcher.close()
                await dispatcher.stop()

    app = FastAPI(title="deme", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.include_router(webhooks.router)
    app.include_router(runs.router)
    app.include_router(health.router)
    app.include_router(pool_api.router)
    app.include_router(search.router)
    return app
