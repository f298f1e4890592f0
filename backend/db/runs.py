"""Submissions, runs and their steps: the durable record of the pipeline's work.

Functions that change rows commit before they return, because a worker's claim
and a step's record must be visible to other processes at once. The objects
they return stay readable after the commit (`expire_on_commit=False`).
"""

import enum
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    FINISHED_RUN_STATUSES,
    Run,
    RunKind,
    RunStatus,
    RunStep,
    StepStatus,
    Submission,
)
from backend.db.submission_store import NewSubmission, insert_submissions

log = structlog.get_logger(__name__)


class _Unchanged(enum.Enum):
    UNCHANGED = enum.auto()


UNCHANGED = _Unchanged.UNCHANGED
"""Default of optional `set_run_status` fields: keep the stored value (None clears it)."""


async def store_submission(
    session: AsyncSession,
    *,
    provider: str,
    provider_submission_id: str | None,
    idempotency_key: str,
    raw_body: bytes,
    content_type: str,
    headers: dict[str, str],
) -> tuple[Submission, Run, bool]:
    """Store a submission and its queued intake run in one transaction, then commit.

    Returns `(submission, run, created)`. A redelivery with an idempotency key
    already stored, sequential or concurrent, returns the stored submission and
    run with `created=False` (see `backend.db.submission_store`).
    """
    new = NewSubmission(
        provider=provider,
        provider_submission_id=provider_submission_id,
        idempotency_key=idempotency_key,
        raw_body=raw_body,
        content_type=content_type,
        headers=headers,
    )
    (stored,) = await insert_submissions(session, [new])
    if isinstance(stored, LookupError):
        await session.rollback()
        raise stored
    await session.commit()
    submission = await session.get_one(Submission, stored.submission_id)
    run = await session.get_one(Run, stored.run_id)
    log.info(
        "submission.stored" if stored.created else "submission.duplicate",
        submission_id=str(submission.id),
        run_id=str(run.id),
        provider=provider,
    )
    return submission, run, stored.created


async def create_run(
    session: AsyncSession, *, kind: RunKind, submission_id: uuid.UUID | None = None
) -> Run:
    """Queue a run of another kind (amend, resend_quote, rerun) and commit."""
    run = Run(kind=kind, submission_id=submission_id, status=RunStatus.QUEUED)
    session.add(run)
    await session.commit()
    return run


async def get_run(session: AsyncSession, *, run_id: uuid.UUID) -> Run | None:
    """Return the run with this id, or None."""
    return await session.get(Run, run_id, populate_existing=True)


async def get_submission(session: AsyncSession, *, submission_id: uuid.UUID) -> Submission | None:
    """Return the submission with this id, or None."""
    return await session.get(Submission, submission_id, populate_existing=True)


async def list_runs(
    session: AsyncSession,
    *,
    status: RunStatus | Iterable[RunStatus] | None = None,
    limit: int = 50,
) -> list[Run]:
    """Return the latest runs first, optionally only those in the given status or statuses."""
    query = select(Run).order_by(Run.created_at.desc(), Run.id).limit(limit)
    if isinstance(status, str):
        query = query.where(Run.status == status)
    elif status is not None:
        query = query.where(Run.status.in_(list(status)))
    return list(await session.scalars(query))


async def list_steps(session: AsyncSession, *, run_id: uuid.UUID) -> list[RunStep]:
    """Return a run's step attempts in the order they started."""
    query = select(RunStep).where(RunStep.run_id == run_id).order_by(RunStep.id)
    return list(await session.scalars(query))


async def start_step(session: AsyncSession, *, run_id: uuid.UUID, step: str) -> RunStep:
    """Record the start of a step attempt, make it the run's current step, and commit.

    The attempt number is one more than the attempts of that step already recorded.
    """
    previous = await session.scalar(
        select(func.coalesce(func.max(RunStep.attempt), 0)).where(
            RunStep.run_id == run_id, RunStep.step == step
        )
    )
    run_step = RunStep(
        run_id=run_id,
        step=step,
        attempt=(previous or 0) + 1,
        status=StepStatus.RUNNING,
        started_at=func.clock_timestamp(),
    )
    session.add(run_step)
    await session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(current_step=step, updated_at=func.now(), heartbeat_at=func.now())
    )
    await session.commit()
    await session.refresh(run_step)
    return run_step


async def finish_step(
    session: AsyncSession,
    *,
    step_id: int,
    status: StepStatus,
    output: dict[str, Any] | None = None,
    error: str | None = None,
    retryable: bool | None = None,
    duration_ms: int | None = None,
) -> RunStep:
    """Record the end of a step attempt, and commit.

    Without `duration_ms`, the duration is the database time since `start_step`.
    """
    now = func.clock_timestamp()
    elapsed_ms = duration_ms
    if elapsed_ms is None:
        elapsed_ms = func.round(func.extract("epoch", now - RunStep.started_at) * 1000)
    run_step = await session.scalar(
        update(RunStep)
        .where(RunStep.id == step_id)
        .values(
            status=status,
            finished_at=now,
            duration_ms=elapsed_ms,
            output=output,
            error=error,
            retryable=retryable,
        )
        .returning(RunStep)
        .execution_options(populate_existing=True)
    )
    if run_step is None:
        raise LookupError(f"Run step {step_id} not found")
    await session.commit()
    return run_step


async def set_run_status(
    session: AsyncSession,
    *,
    run_id: uuid.UUID,
    status: RunStatus,
    error: dict[str, Any] | None | _Unchanged = UNCHANGED,
    result: dict[str, Any] | None | _Unchanged = UNCHANGED,
    current_step: str | None | _Unchanged = UNCHANGED,
) -> Run:
    """Set a run's status, and optionally its error, result and current step, then commit.

    `running` sets `started_at` on the first start. A finished status (succeeded,
    partial, failed, needs_reauth) sets `finished_at` and releases the worker's lock.
    """
    values: dict[str, Any] = {"status": status, "updated_at": func.now()}
    if error is not UNCHANGED:
        values["error"] = error
    if result is not UNCHANGED:
        values["result"] = result
    if current_step is not UNCHANGED:
        values["current_step"] = current_step

    if status == RunStatus.RUNNING:
        values["started_at"] = func.coalesce(Run.started_at, func.now())
        values["finished_at"] = None
    elif status in FINISHED_RUN_STATUSES:
        values["finished_at"] = func.now()
        values["locked_by"] = None
    elif status == RunStatus.QUEUED:
        values["locked_by"] = None

    run = await session.scalar(
        update(Run)
        .where(Run.id == run_id)
        .values(**values)
        .returning(Run)
        .execution_options(populate_existing=True)
    )
    if run is None:
        raise LookupError(f"Run {run_id} not found")
    await session.commit()
    return run


async def mark_running(session: AsyncSession, *, run_id: uuid.UUID) -> Run:
    """Mark a run as running, for a caller that did not claim it, and commit."""
    return await set_run_status(session, run_id=run_id, status=RunStatus.RUNNING)


async def finish_run(
    session: AsyncSession,
    *,
    run_id: uuid.UUID,
    status: RunStatus,
    result: dict[str, Any] | None,
    error: dict[str, Any] | None,
) -> Run:
    """Record a run's final status, result summary and first error, and commit.

    Raises ValueError for a status that does not end a run (queued, running).
    """
    if status not in FINISHED_RUN_STATUSES:
        finished = ", ".join(sorted(FINISHED_RUN_STATUSES))
        raise ValueError(f"Run status {status!r} does not end a run: expected one of {finished}")
    return await set_run_status(session, run_id=run_id, status=status, result=result, error=error)


async def claim_queued_run(session: AsyncSession, *, worker_id: str) -> Run | None:
    """Claim the oldest queued run for this worker, mark it running, and commit.

    Returns None when no run is queued. `FOR UPDATE SKIP LOCKED` lets concurrent
    workers each take a different run without waiting for one another.
    """
    run = await session.scalar(
        select(Run)
        .where(Run.status == RunStatus.QUEUED)
        .order_by(Run.created_at, Run.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if run is None:
        await session.rollback()
        return None

    run.status = RunStatus.RUNNING
    run.locked_by = worker_id
    run.attempts = Run.attempts + 1
    run.started_at = func.coalesce(Run.started_at, func.now())
    run.heartbeat_at = func.now()
    run.finished_at = None
    await session.commit()
    await session.refresh(run)

    log.info("run.claimed", run_id=str(run.id), worker_id=worker_id, attempt=run.attempts)
    return run


async def record_heartbeat(session: AsyncSession, *, run_id: uuid.UUID, worker_id: str) -> bool:
    """Mark a running run as alive, and commit. Returns False when this worker lost it."""
    result = await session.execute(
        update(Run)
        .where(
            Run.id == run_id,
            Run.locked_by == worker_id,
            Run.status == RunStatus.RUNNING,
        )
        .values(heartbeat_at=func.now())
    )
    await session.commit()
    return result.rowcount == 1


async def requeue_stale_runs(session: AsyncSession, *, older_than: timedelta) -> list[uuid.UUID]:
    """Queue again the running runs with no heartbeat for `older_than`, and commit.

    A run whose worker died stays `running` forever otherwise. Returns their ids.
    """
    cutoff = func.now() - older_than
    last_sign_of_life = func.coalesce(Run.heartbeat_at, Run.started_at, Run.created_at)
    run_ids = list(
        await session.scalars(
            update(Run)
            .where(Run.status == RunStatus.RUNNING, last_sign_of_life < cutoff)
            .values(status=RunStatus.QUEUED, locked_by=None, updated_at=func.now())
            .returning(Run.id)
        )
    )
    await session.commit()

    if run_ids:
        log.warning("run.requeued_stale", run_ids=[str(run_id) for run_id in run_ids])
    return run_ids
