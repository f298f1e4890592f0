"""The local mirror of prestations created in Notion."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, inspect, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Prestation
from backend.integrations.workspace_schema import STATUS_CANCELLED

# Columns a caller may set. The primary key and the timestamps are managed here.
WRITABLE_COLUMNS = frozenset(
    column.key
    for column in inspect(Prestation).columns
    if column.key not in {"id", "notion_page_id", "created_at", "updated_at"}
)


async def upsert_prestation(
    session: AsyncSession, *, notion_page_id: str, **fields: Any
) -> Prestation:
    """Insert the prestation of this Notion page, or update the given fields, and commit.

    Only the fields passed are written on update, so a later step can add its
    ids (sheet, calendar event, email) without restating the rest.
    Raises TypeError for a field that is not a column of `prestations`.
    """
    _check_fields(fields)
    statement = insert(Prestation).values(notion_page_id=notion_page_id, **fields)
    statement = statement.on_conflict_do_update(
        index_elements=[Prestation.notion_page_id],
        set_={**{name: statement.excluded[name] for name in fields}, "updated_at": func.now()},
    )
    prestation = await session.scalar(
        statement.returning(Prestation).execution_options(populate_existing=True)
    )
    if prestation is None:
        raise LookupError(f"Prestation {notion_page_id!r} was not returned by its upsert")
    await session.commit()
    return prestation


async def update_prestation(
    session: AsyncSession, *, notion_page_id: str, **fields: Any
) -> Prestation | None:
    """Update the given fields of the prestation of this Notion page, and commit.

    Returns None, writing nothing, when no prestation has this page id.
    Raises TypeError for a field that is not a column of `prestations`.
    """
    _check_fields(fields)
    prestation = await session.scalar(
        update(Prestation)
        .where(Prestation.notion_page_id == notion_page_id)
        .values(**fields, updated_at=func.now())
        .returning(Prestation)
        .execution_options(populate_existing=True)
    )
    await session.commit()
    return prestation


async def get_prestation(session: AsyncSession, *, notion_page_id: str) -> Prestation | None:
    """Return the prestation of this Notion page, or None."""
    return await session.scalar(
        select(Prestation).where(Prestation.notion_page_id == notion_page_id)
    )


async def prestations_on(
    session: AsyncSession,
    *,
    event_date: date,
    exclude_submission_id: uuid.UUID | None = None,
) -> list[tuple[str, str | None]]:
    """Return `(name, notion_url)` of the prestations on a date that are not cancelled.

    The availability check compares their number with the prestations the caterer
    serves a day. `exclude_submission_id` leaves out the inquiry being checked.
    """
    query = (
        select(Prestation.name, Prestation.notion_url)
        .where(
            Prestation.event_date == event_date,
            Prestation.status.is_distinct_from(STATUS_CANCELLED),
        )
        .order_by(Prestation.created_at)
    )
    if exclude_submission_id is not None:
        # IS DISTINCT FROM keeps the prestations that have no submission.
        query = query.where(Prestation.submission_id.is_distinct_from(exclude_submission_id))
    rows = await session.execute(query)
    return [(name or "", notion_url) for name, notion_url in rows.all()]


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - WRITABLE_COLUMNS)
    if unknown:
        raise TypeError(
            f"Unknown prestation fields {unknown}: columns are {sorted(WRITABLE_COLUMNS)}"
        )
