"""Start what a deme process needs: database, emulator, workspace, catalog, runner.

`deme run`, `deme serve` and the tests all go through `open_runtime`, so they share one
way of choosing between the embedded defaults and the services set in the settings.
"""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog

from backend.config import Settings
from backend.db import pool as pool_store
from backend.db.session import Database
from backend.graph.checkpoints import open_checkpointer
from backend.graph.context import PipelineContext
from backend.graph.progress import ProgressSink, ignore_progress
from backend.graph.runner import IntakeRunner
from backend.intake.catalog import Catalog
from backend.integrations.locks import advisory_lock
from backend.integrations.rate_limit import open_rate_limiter
from backend.integrations.workspace import Workspace, open_workspace
from backend.setup.pool import refill, source_of

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    """The services of one process."""

    settings: Settings
    db: Database
    workspace: Workspace
    catalog: Catalog
    runner: IntakeRunner
    emulator: Any | None  # the in-process emulator, when one was started


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, progress: ProgressSink = ignore_progress
) -> AsyncIterator[Runtime]:
    """Open every service; close them in reverse order when the block exits."""
    async with AsyncExitStack() as stack:
        catalog = Catalog.load(settings.catalog_path)
        db = await Database.connect(settings)
        stack.push_async_callback(db.dispose)

        emulator = _start_emulator(settings, stack)
        emulator_url = settings.emulator_url or (emulator.url if emulator else None)
        limiter = open_rate_limiter(settings)
        stack.push_async_callback(limiter.aclose)
        workspace = open_workspace(settings, emulator_url=emulator_url, limiter=limiter)
        stack.push_async_callback(workspace.aclose)
        await _prepare_pool(settings, db, workspace)

        checkpointer = await stack.enter_async_context(open_checkpointer(db.urls.libpq))
        context = PipelineContext(
            settings=settings,
            db=db,
            workspace=workspace,
            catalog=catalog,
            lock=advisory_lock(db.engine),
            progress=progress,
        )
        yield Runtime(
            settings=settings,
            db=db,
            workspace=workspace,
            catalog=catalog,
            runner=IntakeRunner(context, checkpointer),
            emulator=emulator,
        )


def _start_emulator(settings: Settings, stack: AsyncExitStack) -> Any | None:
    if not settings.uses_emulator or settings.emulator_url:
        return None
    from backend.emulator.server import start_emulator

    emulator = start_emulator(
        settings.data_dir, latency=settings.emulator_latency, settings=settings
    )
    stack.callback(emulator.stop)
    log.info("emulator.started", url=emulator.url)
    return emulator


async def _prepare_pool(settings: Settings, db: Database, workspace: Workspace) -> None:
    """Import the pool seed file if there is one; with the emulator, also fill the pool."""
    if settings.template_pool_seed.exists():
        async with db.session() as session:
            await pool_store.import_seed(session, settings.template_pool_seed)
    if settings.uses_google_emulator:
        await refill(source_of(workspace), db, target=settings.template_pool_target)
