"""Durable record of each external object a run created, looked up before creating it again.

A step records what it created under an idempotency key before it returns, so
a re-executed step finds the object and does not create a duplicate.
"""

import uuid
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import SideEffect, SideEffectKind

log = structlog.get_logger(__name__)


async def find_side_effect(
    session: AsyncSession, *, kind: SideEffectKind, key: str
) -> SideEffect | None:
    """Return the object of this kind recorded under this idempotency key, or None."""
    return await session.scalar(
        select(SideEffect)
        .where(SideEffect.kind == kind, SideEffect.key == key)
        .execution_options(populate_existing=True)
    )


async def record_side_effect(
    session: AsyncSession,
    *,
    kind: SideEffectKind,
    key: str,
    external_id: str,
    run_id: uuid.UUID | None = None,
    submission_id: uuid.UUID | None = None,
    url: str | None = None,
    data: dict[str, Any] | None = None,
) -> SideEffect:
    """Record an object created outside deme, commit, and return the row stored under the key.

    When the key is already recorded, the stored row is kept and returned: compare
    its `external_id` with yours to detect a duplicate created by a concurrent run.
    """
    inserted = await session.scalar(
        insert(SideEffect)
        .values(
            kind=kind,
            key=key,
            external_id=external_id,
            run_id=run_id,
            submission_id=submission_id,
            url=url,
            data=data or {},
        )
        .on_conflict_do_nothing(index_elements=[SideEffect.kind, SideEffect.key])
        .returning(SideEffect.id)
    )
    await session.commit()

    stored = await find_side_effect(session, kind=kind, key=key)
    if stored is None:
        raise LookupError(f"Side effect {kind}:{key} not found right after it was recorded")
    if inserted is None and stored.external_id != external_id:
        log.warning(
            "side_effect.conflict",
            kind=str(kind),
            key=key,
            stored_external_id=stored.external_id,
            new_external_id=external_id,
        )
    return stored
