"""The wrapper every pipeline step runs in: records, logs, skips and contains failures.

A step that fails appends to the run's error list instead of raising, so parallel
branches go on; a step whose inputs are missing records itself as skipped. Only the
steps that depend on a failed one are therefore stopped.
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from langgraph.runtime import Runtime

from backend.db import runs as run_store
from backend.db.models import StepStatus
from backend.errors import DemeError, ExternalServiceError
from backend.graph.context import PipelineContext
from backend.graph.progress import StepEvent
from backend.graph.state import IntakeState, StepError

log = structlog.get_logger(__name__)

StepBody = Callable[[IntakeState, PipelineContext], Awaitable[dict[str, Any]]]
Node = Callable[[IntakeState, Runtime[PipelineContext]], Awaitable[dict[str, Any]]]


def first_line(exc: BaseException, limit: int = 300) -> str:
    """Return the first line of an error's text: SQLAlchemy appends the SQL and parameters."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else "")[:limit]


def _error(step: str, exc: Exception) -> StepError:
    if isinstance(exc, ExternalServiceError):
        return StepError(
            step=step,
            message=str(exc),
            retryable=exc.retryable,
            service=exc.service,
            status=exc.status,
            code=exc.code,
        )
    if isinstance(exc, DemeError):
        return StepError(step=step, message=str(exc), retryable=False, service=None, status=None)
    return StepError(
        step=step,
        message=f"internal error: {type(exc).__name__}: {first_line(exc)}",
        retryable=True,
        service=None,
        status=None,
    )


def pipeline_step(name: str, *, requires: tuple[str, ...] = ()) -> Callable[[StepBody], Node]:
    """Turn `body(state, context) -> update` into a recorded, failure-contained node."""

    def decorate(body: StepBody) -> Node:
        async def node(state: IntakeState, runtime: Runtime[PipelineContext]) -> dict[str, Any]:
            context = runtime.context
            run_id = state["run_id"]
            structlog.contextvars.bind_contextvars(step=name)
            try:
                return await _run_step(name, requires, body, state, context, run_id)
            finally:
                structlog.contextvars.unbind_contextvars("step")

        # Not functools.wraps: LangGraph reads the signature to pass `runtime`, and
        # wraps would expose the body's (state, context) signature instead.
        node.__name__ = node.__qualname__ = name
        node.__doc__ = body.__doc__
        return node

    return decorate


async def _run_step(
    name: str,
    requires: tuple[str, ...],
    body: StepBody,
    state: IntakeState,
    context: PipelineContext,
    run_id: str,
) -> dict[str, Any]:
    missing = [key for key in requires if not state.get(key)]
    if missing:
        reason = f"skipped: needs {', '.join(missing)}, which an earlier step did not produce"
        await _record(context, run_id, name, "skipped", 0, error=reason)
        log.info("step.skipped", missing=missing)
        return {"current_step": name}

    context.progress(StepEvent(run_id, name, "running"))
    step_id = await _start(context, run_id, name)
    started = time.perf_counter()
    try:
        update = await body(state, context)
    except Exception as exc:  # noqa: BLE001 - contained so that parallel branches go on
        duration_ms = int((time.perf_counter() - started) * 1000)
        error = _error(name, exc)
        if not isinstance(exc, DemeError):
            log.exception("step.crashed", duration_ms=duration_ms)
        else:
            log.warning("step.failed", duration_ms=duration_ms, error=error["message"])
        await _finish(context, step_id, "failed", duration_ms, error=error)
        context.progress(StepEvent(run_id, name, "failed", duration_ms, error["message"]))
        return {"errors": [error], "current_step": name}

    duration_ms = int((time.perf_counter() - started) * 1000)
    await _finish(context, step_id, "succeeded", duration_ms, output=update)
    log.info("step.completed", duration_ms=duration_ms)
    context.progress(StepEvent(run_id, name, "succeeded", duration_ms))
    return {**update, "current_step": name}


async def _start(context: PipelineContext, run_id: str, name: str) -> int:
    async with context.db.session() as session:
        step = await run_store.start_step(session, run_id=run_id, step=name)
        return step.id


async def _finish(
    context: PipelineContext,
    step_id: int,
    status: str,
    duration_ms: int,
    *,
    output: dict[str, Any] | None = None,
    error: StepError | None = None,
) -> None:
    async with context.db.session() as session:
        await run_store.finish_step(
            session,
            step_id=step_id,
            status=StepStatus(status),
            duration_ms=duration_ms,
            output=output,
            error=error["message"] if error else None,
            retryable=error["retryable"] if error else None,
        )


async def _record(
    context: PipelineContext, run_id: str, name: str, status: str, duration_ms: int, *, error: str
) -> None:
    context.progress(StepEvent(run_id, name, status, duration_ms, error))
    async with context.db.session() as session:
        step = await run_store.start_step(session, run_id=run_id, step=name)
        await run_store.finish_step(
            session,
            step_id=step.id,
            status=StepStatus(status),
            duration_ms=duration_ms,
            output=None,
            error=error,
            retryable=None,
        )
