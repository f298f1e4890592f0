"""GET /runs/{id}: a run's status, steps with timings and errors, and links."""

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, status

from backend.api.deps import RuntimeDep, StaffDep
from backend.db import runs as run_store

router = APIRouter()


@router.get("/runs/{run_id}")
async def get_run(run_id: uuid.UUID, runtime: RuntimeDep, _staff: StaffDep) -> dict[str, Any]:
    async with runtime.db.session() as session:
        run = await run_store.get_run(session, run_id=run_id)
        if run is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"run {run_id} not found")
        steps = await run_store.list_steps(session, run_id=run_id)
    result = dict(run.result or {})
    result.pop("email_eml", None)
    return {
        "id": str(run.id),
        "kind": str(run.kind),
        "status": str(run.status),
        "current_step": run.current_step,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "error": run.error,
        "steps": [
            {
                "name": step.step,
                "attempt": step.attempt,
                "status": str(step.status),
                "duration_ms": step.duration_ms,
                "error": step.error,
                "retryable": step.retryable,
            }
            for step in steps
        ],
        "result": result or None,
    }
