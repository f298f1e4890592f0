"""The run queue as workers see it: claims, takeovers, retries and the listing of runs.

Every state change is one `UPDATE ... WHERE <expected state>`, so two workers (or a
worker and a person retrying) racing for the same run never both win it.
"""

import base64
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Prestation, Run, RunStatus

log = structlog.get_logger(__name__)

# A failed or partial run has failed steps that a new execution may complete; a run that
# needs a new Google authorisation may complete once a person has given it.
RETRYABLE_RUN_STATUSES = frozenset({RunStatus.FAILED, RunStatus.PARTIAL, RunStatus.NEEDS_REAUTH})


class RunNotFoundError(LookupError):
    """No run has this id."""


class RunNotRetryableError(ValueError):
    """The run is queued, running or succeeded, so there is nothing to retry."""


def _last_sign_of_life() -> Any:
    return func.coalesce(Run.heartbeat_at, Run.started_at, Run.created_at)


async def claim_run(
    session: AsyncSession, *, run_id: uuid.UUID, worker_id: str, stale_after: timedelta
) -> Run | None:
    """Claim this run for `worker_id` if it is queued or its worker went silent, and commit.

    Returns None when another worker holds it with a fresh heartbeat, or when it has
    finished: a second delivery of the same task then does nothing.
    """
    claimable = or_(
        Run.status == RunStatus.QUEUED,
        and_(
            Run.status == RunStatus.RUNNING,
            _last_sign_of_life() < func.now() - stale_after,
        ),
    )
    run = await session.scalar(
        update(Run)
        .where(Run.id == run_id, claimable)
        .values(
            status=RunStatus.RUNNING,
            locked_by=worker_id,
            attempts=Run.attempts + 1,
            started_at=func.coalesce(Run.started_at, func.now()),
            heartbeat_at=func.now(),
            finished_at=None,
            updated_at=func.now(),
        )
        .returning(Run)
        .execution_options(populate_existing=True)
    )
    await session.commit()
    if run is not None:
        log.info("run.claimed", run_id=str(run_id), worker_id=worker_id, attempt=run.attempts)
    return run


def _process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def requeue_runs_of_dead_processes(
    session: AsyncSession, *, hostname: str, run_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Queue again the running runs locked by a process of this host that no longer exists.

    Worker ids are `hostname:pid`, so a restarted process need not wait for the
    heartbeat of its dead predecessor to go stale. `run_id` limits the check to one
    run. Returns the ids, and commits.
    """
    query = select(Run.id, Run.locked_by).where(
        Run.status == RunStatus.RUNNING, Run.locked_by.like(f"{hostname}:%")
    )
    if run_id is not None:
        query = query.where(Run.id == run_id)
    rows = (await session.execute(query)).all()
    dead = []
    for dead_run_id, locked_by in rows:
        pid_text = locked_by.rsplit(":", 1)[-1]
        if pid_text.isdigit() and not _process_is_alive(int(pid_text)):
            dead.append((dead_run_id, locked_by))

    requeued: list[uuid.UUID] = []
    for dead_run_id, locked_by in dead:
        result = await session.execute(
            update(Run)
            .where(
                Run.id == dead_run_id,
                Run.status == RunStatus.RUNNING,
                Run.locked_by == locked_by,
            )
            .values(status=RunStatus.QUEUED, locked_by=None, updated_at=func.now())
        )
        if result.rowcount == 1:
            requeued.append(dead_run_id)
    await session.commit()

    if requeued:
        log.warning(
            "run.requeued_dead_process",
            run_ids=[str(run_id) for run_id in requeued],
            hostname=hostname,
        )
    return requeued


async def touch_waiting_runs(
    session: AsyncSession, *, older_than: timedelta, limit: int = 500
) -> list[uuid.UUID]:
    """Return the runs queued and untouched for `older_than`, and touch them; commit.

    A Celery sweep sends a task for each: their first task may have been lost (the API
    died between its commit and the send). Touching them spaces out the resends.
    """
    waiting = (
        select(Run.id)
        .where(Run.status == RunStatus.QUEUED, Run.updated_at < func.now() - older_than)
        .order_by(Run.created_at, Run.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    run_ids = list(
        await session.scalars(
            update(Run).where(Run.id.in_(waiting)).values(updated_at=func.now()).returning(Run.id)
        )
    )
    await session.commit()
    return run_ids


async def queue_retry(session: AsyncSession, *, run_id: uuid.UUID) -> Run:
    """Queue a failed, partial or needs_reauth run again, keeping its id, and commit.

    Raises RunNotFoundError, or RunNotRetryableError for a run in another status.
    """
    run = await session.scalar(
        update(Run)
        .where(Run.id == run_id, Run.status.in_(list(RETRYABLE_RUN_STATUSES)))
        .values(status=RunStatus.QUEUED, locked_by=None, updated_at=func.now())
        .returning(Run)
        .execution_options(populate_existing=True)
    )
    if run is None:
        await session.rollback()
        current = await session.get(Run, run_id, populate_existing=True)
        if current is None:
            raise RunNotFoundError(f"run {run_id} not found")
        allowed = ", ".join(sorted(RETRYABLE_RUN_STATUSES))
        raise RunNotRetryableError(
            f"run {run_id} is {current.status}: only a run that is {allowed} can be retried"
        )
    await session.commit()
    log.info("run.retry_queued", run_id=str(run_id))
    return run


@dataclass(frozen=True)
class RunFilter:
    """Criteria of a run listing; None leaves a criterion out. Dates are UTC days."""

    statuses: tuple[str, ...] = ()
    created_from: date | None = None
    created_to: date | None = None
    client_email: str | None = None


@dataclass(frozen=True)
class RunPage:
    """One page of runs, latest first, and the cursor of the next page (None at the end)."""

    runs: list[Run]
    next_cursor: str | None


def encode_cursor(run: Run) -> str:
    text = f"{run.created_at.isoformat()}|{run.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Return the (created_at, id) a cursor points after; raise ValueError when invalid."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, run_id = text.split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(run_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"invalid cursor {cursor!r}: pass the next_cursor of a previous page"
        ) from exc


def _client_email_matches(email: str) -> Any:
    """The run's client email, from its result or, for a run still going, its prestation."""
    wanted = email.strip().lower()
    mirrored = select(Prestation.id).where(
        Prestation.run_id == Run.id, func.lower(Prestation.client_email) == wanted
    )
    return or_(func.lower(Run.result["client"]["email"].astext) == wanted, mirrored.exists())


async def list_runs_page(
    session: AsyncSession, *, filters: RunFilter, limit: int = 50, cursor: str | None = None
) -> RunPage:
    """Return one page of runs matching `filters`, latest first (keyset pagination)."""
    query = select(Run).order_by(Run.created_at.desc(), Run.id.desc()).limit(limit + 1)
    if filters.statuses:
        query = query.where(Run.status.in_(filters.statuses))
    if filters.created_from is not None:
        query = query.where(Run.created_at >= datetime.combine(filters.created_from, time.min, UTC))
    if filters.created_to is not None:
        next_day = datetime.combine(filters.created_to + timedelta(days=1), time.min, UTC)
        query = query.where(Run.created_at < next_day)
    if filters.client_email:
        query = query.where(_client_email_matches(filters.client_email))
    if cursor:
        created_at, run_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Run.created_at < created_at,
                and_(Run.created_at == created_at, Run.id < run_id),
            )
        )

    runs = list(await session.scalars(query))
    next_cursor = encode_cursor(runs[limit - 1]) if len(runs) > limit else None
    return RunPage(runs=runs[:limit], next_cursor=next_cursor)
