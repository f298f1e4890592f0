"""The template pool: copies of the quote template sheet, ready to be claimed by runs.

Copying a Google Sheet takes seconds, so copies are made ahead of time and a run
only claims one. The refill that makes the copies lives with the Google gateway.
"""

import json
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.db.errors import PoolSeedError
from backend.db.locks import POOL_REFILL_LOCK_KEY
from backend.db.models import PoolSheet, PoolState

log = structlog.get_logger(__name__)

SEED_STATES = (PoolState.AVAILABLE, PoolState.IN_USE)
SEED_ITEM_KEYS = frozenset({"id", "url"})


@dataclass(frozen=True)
class SeedSheet:
    """One sheet listed in a pool seed file."""

    sheet_id: str
    url: str
    state: PoolState


@dataclass(frozen=True)
class PoolStatus:
    """Number of sheets in each state."""

    available: int
    in_use: int


def sheet_url(sheet_id: str) -> str:
    """Return the address of a Google Sheet in the browser."""
    return f"https://docs.google.com/spreadsheets/d/{sheet_id}/edit"


async def claim_sheet(session: AsyncSession, *, run_id: uuid.UUID) -> PoolSheet | None:
    """Return the sheet this run holds, or claim an available one for it, and commit.

    Claiming again with the same run returns the same sheet. Returns None when
    the pool has no available sheet. `FOR UPDATE SKIP LOCKED` gives concurrent
    claimers different sheets without waiting for one another.
    """
    claimed = await _sheet_held_by(session, run_id)
    if claimed is not None:
        return claimed

    sheet = await session.scalar(
        select(PoolSheet)
        .where(PoolSheet.state == PoolState.AVAILABLE)
        .order_by(PoolSheet.created_at, PoolSheet.sheet_id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if sheet is None:
        await session.rollback()
        return None

    sheet.state = PoolState.IN_USE
    sheet.run_id = run_id
    sheet.claimed_at = func.now()
    try:
        await session.commit()
    except IntegrityError:
        # The same run claimed a sheet concurrently: the unique run_id kept one claim.
        await session.rollback()
        return await _sheet_held_by(session, run_id)

    await session.refresh(sheet)
    log.info("pool.sheet_claimed", run_id=str(run_id), sheet_id=sheet.sheet_id)
    return sheet


async def _sheet_held_by(session: AsyncSession, run_id: uuid.UUID) -> PoolSheet | None:
    return await session.scalar(
        select(PoolSheet)
        .where(PoolSheet.run_id == run_id)
        .execution_options(populate_existing=True)
    )


async def add_sheets(
    session: AsyncSession,
    sheets: Iterable[tuple[str, str]],
    *,
    state: PoolState = PoolState.AVAILABLE,
) -> int:
    """Add `(sheet_id, url)` pairs to the pool, skip ids already there, and commit.

    Returns the number of sheets added.
    """
    rows = [{"sheet_id": sheet_id, "url": url, "state": state} for sheet_id, url in sheets]
    if not rows:
        return 0

    added = await session.scalars(
        insert(PoolSheet)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[PoolSheet.sheet_id])
        .returning(PoolSheet.sheet_id)
    )
    count = len(list(added))
    await session.commit()
    return count


async def pool_status(session: AsyncSession) -> PoolStatus:
    """Return the number of sheets available and in use."""
    rows = await session.execute(select(PoolSheet.state, func.count()).group_by(PoolSheet.state))
    counts = dict(rows.all())
    return PoolStatus(
        available=counts.get(PoolState.AVAILABLE, 0), in_use=counts.get(PoolState.IN_USE, 0)
    )


async def import_seed(session: AsyncSession, path: Path) -> int:
    """Add the sheets listed in a `template_pool.json` seed file, and commit.

    The file is `{"available": [...], "in_use": [...]}`, each item a sheet id or
    `{"id": ..., "url": ...}`. Sheets already in the pool keep their state, so
    importing a file twice adds nothing the second time. Returns the number added.
    Raises PoolSeedError naming the invalid entry.
    """
    sheets = parse_seed(path)
    added = 0
    for state in SEED_STATES:
        pairs = [(sheet.sheet_id, sheet.url) for sheet in sheets if sheet.state == state]
        added += await add_sheets(session, pairs, state=state)

    log.info("pool.seed_imported", path=str(path), listed=len(sheets), added=added)
    return added


async def export_seed(session: AsyncSession) -> dict[str, list[dict[str, str]]]:
    """Return the pool in the seed file format, oldest sheets first."""
    seed: dict[str, list[dict[str, str]]] = {str(state): [] for state in SEED_STATES}
    sheets = await session.scalars(
        select(PoolSheet).order_by(PoolSheet.created_at, PoolSheet.sheet_id)
    )
    for sheet in sheets:
        seed[sheet.state].append({"id": sheet.sheet_id, "url": sheet.url})
    return seed


def parse_seed(path: Path) -> list[SeedSheet]:
    """Read and validate a pool seed file. Raises PoolSeedError naming the invalid entry."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PoolSeedError(f"Template pool seed {path} not found") from exc
    except json.JSONDecodeError as exc:
        raise PoolSeedError(f"Template pool seed {path} is not valid JSON: {exc}") from exc

    if not isinstance(document, dict):
        raise PoolSeedError(
            f"Template pool seed {path} must be a JSON object with the keys "
            f'"available" and "in_use", got {type(document).__name__}'
        )
    unknown = sorted(set(document) - set(SEED_STATES))
    if unknown:
        raise PoolSeedError(
            f"Template pool seed {path} has unknown keys {unknown}: "
            f'expected only "available" and "in_use"'
        )

    sheets: list[SeedSheet] = []
    seen: dict[str, str] = {}
    for state in SEED_STATES:
        items = document.get(state, [])
        if not isinstance(items, list):
            raise PoolSeedError(
                f'Template pool seed {path}: "{state}" must be a list, got {type(items).__name__}'
            )
        for index, item in enumerate(items):
            where = f"{state}[{index}]"
            sheet = _parse_seed_item(item, state, f"Template pool seed {path}, {where}")
            if sheet.sheet_id in seen:
                raise PoolSeedError(
                    f"Template pool seed {path}: sheet {sheet.sheet_id!r} is listed twice, "
                    f"in {seen[sheet.sheet_id]} and {where}"
                )
            seen[sheet.sheet_id] = where
            sheets.append(sheet)
    return sheets


def _parse_seed_item(item: Any, state: PoolState, where: str) -> SeedSheet:
    if isinstance(item, str):
        sheet_id, url = item, None
    elif isinstance(item, dict):
        unknown = sorted(set(item) - SEED_ITEM_KEYS)
        if unknown:
            raise PoolSeedError(f'{where} has unknown keys {unknown}: expected "id" and "url"')
        sheet_id, url = item.get("id"), item.get("url")
    else:
        raise PoolSeedError(
            f'{where} must be a sheet id or {{"id": ..., "url": ...}}, got {item!r}'
        )

    if not isinstance(sheet_id, str) or not sheet_id.strip():
        raise PoolSeedError(f"{where} has a missing or empty sheet id: {item!r}")
    if sheet_id != sheet_id.strip() or "/" in sheet_id:
        raise PoolSeedError(
            f"{where} has an invalid sheet id {sheet_id!r}: give the id from the sheet's "
            f"URL, without spaces or slashes"
        )
    if url is not None and (not isinstance(url, str) or not url.startswith("http")):
        raise PoolSeedError(f"{where} has an invalid url {url!r}: expected an http(s) URL")

    return SeedSheet(sheet_id=sheet_id, url=url or sheet_url(sheet_id), state=state)


@asynccontextmanager
async def pool_refill_lock(session: AsyncSession, *, wait: bool = True) -> AsyncIterator[bool]:
    """Take the lock that lets one process at a time refill the pool, and yield whether it is held.

    With `wait=True` the block starts once other refills have finished, and yields True.
    With `wait=False` it yields False at once when another process holds the lock.
    The lock lives on a connection of its own, taken from the session's engine and
    held for the whole block, so the session may commit as often as it needs.
    """
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("pool_refill_lock() needs a session bound to an AsyncEngine")

    lock_function = func.pg_advisory_lock if wait else func.pg_try_advisory_lock
    async with engine.connect() as connection:
        result = await connection.scalar(select(lock_function(POOL_REFILL_LOCK_KEY)))
        acquired = wait or bool(result)
        await connection.commit()
        try:
            yield acquired
        finally:
            if acquired:
                await connection.execute(select(func.pg_advisory_unlock(POOL_REFILL_LOCK_KEY)))
                await connection.commit()
