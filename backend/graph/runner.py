"""Execute one intake run: start it, resume it after a crash, or execute it again.

A run whose checkpoint has pending steps resumes from them. A run that finished, or
never started, is executed from the beginning on a fresh thread; every step then finds
what an earlier execution created, so nothing is created twice.
"""

from typing import Any

import structlog
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph

from backend.db import runs as run_store
from backend.db.models import RunStatus, Submission
from backend.graph.builder import build_intake_graph
from backend.graph.context import PipelineContext
from backend.graph.result import build_run_result, outcome_status
from backend.graph.state import IntakeState
from backend.intake.validation import parse_payload
from backend.setup.run_hooks import explain_schema_errors, top_up_pool

log = structlog.get_logger(__name__)


class IntakeRunner:
    """Owns the compiled graph; one per process, shared by every run it executes."""

    def __init__(self, context: PipelineContext, checkpointer: BaseCheckpointSaver) -> None:
        self.context = context
        self.checkpointer = checkpointer
        self.graph: CompiledStateGraph = build_intake_graph(checkpointer)

    async def execute(self, run_id: str) -> dict[str, Any]:
        """Run (or resume) the intake run `run_id`; return its result summary."""
        structlog.contextvars.bind_contextvars(run_id=run_id)
        try:
            return await self._execute(run_id)
        finally:
            structlog.contextvars.unbind_contextvars("run_id", "submission_id")

    async def _execute(self, run_id: str) -> dict[str, Any]:
        async with self.context.db.session() as session:
            run = await run_store.get_run(session, run_id=run_id)
            submission = await run_store.get_submission(session, submission_id=run.submission_id)
            await run_store.mark_running(session, run_id=run_id)
            await session.commit()
        structlog.contextvars.bind_contextvars(submission_id=submission.idempotency_key)

        config = {"configurable": {"thread_id": run_id}}
        graph_input = await self.initial_input(run_id, config, submission)
        log.info("run.started", resumed=graph_input is None)

        final: IntakeState = await self.graph.ainvoke(
            graph_input, config, context=self.context
        )

        final = await explain_schema_errors(self.context, final)
        async with self.context.db.session() as session:
            steps = await run_store.list_steps(session, run_id=run_id)
            status = outcome_status(final)
            result = build_run_result(run_id, status, final, steps)
            await run_store.finish_run(
                session,
                run_id=run_id,
                status=RunStatus(status),
                result=result,
                error=result["errors"][0] if result["errors"] else None,
            )
            await session.commit()
        log.info("run.finished", status=status, errors=len(result["errors"]))
        await top_up_pool(self.context)
        return result

    async def initial_input(
        self, run_id: str, config: dict[str, Any], submission: Submission
    ) -> IntakeState | None:
        """Return None to resume a run with pending steps, else a fresh input state."""
        snapshot = await self.graph.aget_state(config)
        if snapshot.next:
            return None
        if snapshot.values:
            # A finished run executed again: start a clean thread, keep nothing stale.
            await self.checkpointer.adelete_thread(run_id)
        return IntakeState(
            run_id=run_id,
            submission_ref=str(submission.id),
            payload=parse_payload(submission.raw_body),
            received_at=submission.received_at.isoformat(),
            errors=[],
        )
