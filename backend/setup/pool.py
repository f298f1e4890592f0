"""Template pool refill for schedulers: to the target size, once at a time, polite to Drive.

A refill holds the pool's advisory lock while it counts and copies, so two refills
started together (the beat, the GitHub workflow, a person) never overfill: the second
waits, then finds the pool full. Drive rate limits are retried by the gateway's policy;
when they persist, the refill backs off and tries again a few times, then stops and
reports what it added. A full Drive (`storageQuotaExceeded`) is a configuration error.
"""

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from backend.db import pool as pool_store
from backend.db.session import Database
from backend.errors import ConfigurationError, ExternalServiceError
from backend.integrations.google import RATE_LIMIT_REASONS, GoogleGateway

log = structlog.get_logger(__name__)

POOL_COPY_NAME = "Devis (modèle prêt)"
BACKOFF_ROUNDS = 3
BACKOFF_BASE_SECONDS = 2.0
STORAGE_QUOTA_FIX = (
    "Google Drive refused to copy the quote template: storage quota exceeded "
    "(storageQuotaExceeded). A service account has no Drive storage of its own, so its "
    "copies must go to a shared drive or be owned by a person: set GOOGLE_POOL_FOLDER_ID to "
    "a folder in a shared drive the service account can edit, or set GOOGLE_SUBJECT to the "
    "business mailbox (domain-wide delegation). If the copies are a person's, free space "
    "in that Drive."
)


@dataclass(frozen=True)
class TemplateSource:
    """The template to copy and where the copies go."""

    google: GoogleGateway
    template_spreadsheet_id: str
    folder_id: str | None


@dataclass(frozen=True)
class RefillOutcome:
    """Outcome of one refill: sheets added and the level left, or why it stopped early."""

    added: int
    available: int
    in_use: int
    target: int
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _is_rate_limit(error: ExternalServiceError) -> bool:
    return error.status == 429 or (error.status == 403 and error.code in RATE_LIMIT_REASONS)


async def copy_template(source: TemplateSource, name: str = POOL_COPY_NAME) -> tuple[str, str]:
    """Copy the template once; return the copy's id and URL.

    Raises ConfigurationError on `storageQuotaExceeded`, with the fix.
    """
    parents = [source.folder_id] if source.folder_id else None
    try:
        copy = await source.google.copy_file(
            source.template_spreadsheet_id, name=name, parents=parents
        )
    except ExternalServiceError as exc:
        if exc.code == "storageQuotaExceeded":
            raise ConfigurationError(STORAGE_QUOTA_FIX) from exc
        raise
    return copy["id"], copy.get("webViewLink", "")


async def refill(
    source: TemplateSource,
    db: Database,
    *,
    target: int,
    backoff_base_seconds: float = BACKOFF_BASE_SECONDS,
) -> RefillOutcome:
    """Copy the template until `target` sheets are available, and return what was done."""
    added = 0
    error: str | None = None
    async with db.session() as session, pool_store.pool_refill_lock(session):
        status = await pool_store.pool_status(session)
        missing = max(target - status.available, 0)
        rounds = 0
        while added < missing:
            try:
                sheet_id, url = await copy_template(source)
            except ExternalServiceError as exc:
                if not _is_rate_limit(exc) or rounds >= BACKOFF_ROUNDS:
                    error = f"stopped after {added} of {missing} copies: {exc}"
                    log.warning("pool.refill_stopped", added=added, missing=missing, error=str(exc))
                    break
                delay = max(exc.retry_after or 0.0, backoff_base_seconds * 2**rounds)
                rounds += 1
                log.warning("pool.refill_backoff", delay_seconds=delay, round=rounds)
                await asyncio.sleep(delay)
                continue
            await pool_store.add_sheets(session, [(sheet_id, url)])
            added += 1
        status = await pool_store.pool_status(session)
    log.info("pool.refilled", added=added, available=status.available, target=target)
    return RefillOutcome(added, status.available, status.in_use, target, error)


_background: set[asyncio.Task[Any]] = set()


async def refill_if_low(
    source: TemplateSource, db: Database, *, target: int, low: int
) -> asyncio.Task[None] | None:
    """Start a background refill when fewer than `low` sheets are available; return its task.

    The refill does not wait for the lock: when another process is refilling already,
    nothing more is started. NOTE: a process that exits during the refill may leave a
    copy in Drive that the pool does not list.
    """
    async with db.session() as session:
        status = await pool_store.pool_status(session)
    if status.available >= low:
        return None

    async def run() -> None:
        async with db.session() as session, pool_store.pool_refill_lock(
            session, wait=False
        ) as acquired:
            if not acquired:
                return
        try:
            await refill(source, db, target=target)
        except Exception:  # noqa: BLE001 - a background refill must not crash its process
            log.exception("pool.background_refill_failed")

    task = asyncio.create_task(run(), name="deme-pool-refill")
    _background.add(task)
    task.add_done_callback(_background.discard)
    log.info("pool.low", available=status.available, low=low, target=target)
    return task


def source_of(workspace: Any) -> TemplateSource:
    """Return the template source of an opened `Workspace`."""
    return TemplateSource(
        workspace.google, workspace.template_spreadsheet_id, workspace.pool_folder_id
    )


async def refill_with_settings(settings: Any, *, target: int | None = None) -> RefillOutcome:
    """Refill from a command line or a scheduler task: open what is needed, refill, close."""
    from contextlib import AsyncExitStack

    from backend.db.session import Database
    from backend.emulator import bootstrap
    from backend.setup.google import open_google_gateway

    async with AsyncExitStack() as stack:
        emulator_url = settings.emulator_url
        if settings.uses_google_emulator and not emulator_url:
            from backend.emulator.server import start_emulator

            emulator = start_emulator(settings.data_dir, settings=settings)
            stack.callback(emulator.stop)
            emulator_url = emulator.url
        template_id = settings.google_template_spreadsheet_id
        if not template_id and settings.uses_google_emulator:
            template_id = bootstrap.TEMPLATE_SPREADSHEET_ID
        if not template_id:
            raise ConfigurationError(
                "GOOGLE_TEMPLATE_SPREADSHEET_ID is not set; run `deme setup google` and keep "
                "the settings it prints"
            )
        db = await Database.connect(settings)
        stack.push_async_callback(db.dispose)
        google = open_google_gateway(settings, emulator_url=emulator_url)
        source = TemplateSource(google, template_id, settings.google_pool_folder_id)
        return await refill(source, db, target=target or settings.template_pool_target)
