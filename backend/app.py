"""FastAPI application: the form webhook, runs and health."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backend.api import health, runs, search, webhooks
from backend.api import pool as pool_api
from backend.config import Settings
from backend.jobs.dispatch import open_dispatcher
from backend.runtime import open_runtime


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            dispatcher = open_dispatcher(runtime)
            app.state.runtime = runtime
            app.state.dispatcher = dispatcher
            # `worker` is the older name, kept for callers of `worker.notify()`.
            app.state.worker = dispatcher
            await dispatcher.start()
            try:
                yield
            finally:
                await dispatcher.stop()

    app = FastAPI(title="deme", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.include_router(webhooks.router)
    app.include_router(runs.router)
    app.include_router(health.router)
    app.include_router(pool_api.router)
    app.include_router(search.router)
    return app
