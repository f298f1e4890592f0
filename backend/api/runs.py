"""Runs for staff: list with filters, one run's steps and attempts, retry a failed run."""

import uuid
from collections import Counter
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status

from backend.api.deps import RuntimeDep, StaffDep
from backend.db import run_queue
from backend.db import runs as run_store
from backend.db.models import Run, RunStatus, RunStep

router = APIRouter()

MAX_PAGE_SIZE = 200


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def run_summary(run: Run) -> dict[str, Any]:
    """A run as one line of a listing: status, client, prestation, error."""
    result = run.result or {}
    client = result.get("client") or {}
    prestation = result.get("prestation") or {}
    return {
        "id": str(run.id),
        "kind": str(run.kind),
        "status": str(run.status),
        "current_step": run.current_step,
        "attempts": run.attempts,
        "created_at": _iso(run.created_at),
        "finished_at": _iso(run.finished_at),
        "client_name": client.get("name"),
        "client_email": client.get("email"),
        "prestation": prestation.get("name"),
        "error": run.error,
    }


def run_detail(run: Run, steps: list[RunStep]) -> dict[str, Any]:
    """A run with each step attempt, the attempts per step and the result's links."""
    result = dict(run.result or {})
    result.pop("email_eml", None)
    duration_ms = None
    if run.started_at and run.finished_at:
        duration_ms = int((run.finished_at - run.started_at).total_seconds() * 1000)
    return {
        "id": str(run.id),
        "kind": str(run.kind),
        "status": str(run.status),
        "current_step": run.current_step,
        "attempts": run.attempts,
        "locked_by": run.locked_by,
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "heartbeat_at": _iso(run.heartbeat_at),
        "duration_ms": duration_ms,
        "error": run.error,
        "step_attempts": dict(Counter(step.step for step in steps)),
        "steps": [
            {
                "name": step.step,
                "attempt": step.attempt,
                "status": str(step.status),
                "started_at": _iso(step.started_at),
                "duration_ms": step.duration_ms,
                "error": step.error,
                "retryable": step.retryable,
            }
            for step in steps
        ],
        "result": result or None,
    }


@router.get("/runs")
async def list_runs(
    runtime: RuntimeDep,
    _staff: StaffDep,
    run_status: Annotated[
        list[RunStatus] | None, Query(alias="status", description="Repeat for several")
    ] = None,
    created_from: Annotated[date | None, Query(description="First UTC day, inclusive")] = None,
    created_to: Annotated[date | None, Query(description="Last UTC day, inclusive")] = None,
    client_email: Annotated[str | None, Query(description="Client email, any case")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    """List runs, latest first; follow `next_cursor` for the next page."""
    filters = run_queue.RunFilter(
        statuses=tuple(str(value) for value in run_status or ()),
        created_from=created_from,
        created_to=created_to,
        client_email=client_email,
    )
    async with runtime.db.session() as session:
        try:
            page = await run_queue.list_runs_page(
                session, filters=filters, limit=limit, cursor=cursor
            )
        except ValueError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    return {"runs": [run_summary(run) for run in page.runs], "next_cursor": page.next_cursor}


@router.get("/runs/{run_id}")
async def get_run(run_id: uuid.UUID, runtime: RuntimeDep, _staff: StaffDep) -> dict[str, Any]:
    async with runtime.db.session() as session:
        run = await run_store.get_run(session, run_id=run_id)
        if run is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"run {run_id} not found")
        steps = await run_store.list_steps(session, run_id=run_id)
    return run_detail(run, steps)


@router.post("/runs/{run_id}/retry", status_code=status.HTTP_202_ACCEPTED)
async def retry_run(
    run_id: uuid.UUID, request: Request, runtime: RuntimeDep, _staff: StaffDep
) -> dict[str, Any]:
    """Queue a failed or partial run again; its steps find what exists, failed ones rerun.

    Answers 404 for an unknown run and 409 for a run that is queued, running or succeeded.
    """
    async with runtime.db.session() as session:
        try:
            run = await run_queue.queue_retry(session, run_id=run_id)
        except run_queue.RunNotFoundError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
        except run_queue.RunNotRetryableError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    await request.app.state.dispatcher.dispatch(run.id)
    return run_summary(run)
