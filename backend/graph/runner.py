"""Execute one intake run: start it, resume it after a crash, or execute it again.

A run whose checkpoint has pending steps resumes from them. A run that finished, or
never started, is executed from the beginning on a fresh thread. Every step then finds
what an earlier execution created, so nothing is created twice.
"""

from typing import Any

import structlog
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph

from backend.db import runs as run_store
from backend.db.models import RunStatus, Submission
from backend.errors import RunCrashedError
from backend.graph.builder import build_intake_graph
from backend.graph.context import PipelineContext
from backend.graph.result import build_run_result, outcome_status
from backend.graph.state import IntakeState
from backend.graph.steps import first_line
from backend.intake.providers import read_stored_form
from backend.intake.providers.mapping import FormMappings
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
            # Two processes executing one run at once (`deme run` beside `deme serve`)
            # would both create what does not exist yet: the second waits for the first.
            async with self.context.lock(f"run:{run_id}"):
                return await self._execute_or_record_crash(run_id)
        finally:
            structlog.contextvars.unbind_contextvars("run_id", "submission_id")

    async def _execute_or_record_crash(self, run_id: str) -> dict[str, Any]:
        try:
            return await self._execute(run_id)
        except Exception as exc:
            # A bug or an unusable stored body: end the run as failed rather than leave it
            # "running" for every restart to take over and crash on again.
            log.exception("run.crashed")
            message = f"internal error: {type(exc).__name__}: {first_line(exc)}"
            async with self.context.db.session() as session:
                await run_store.finish_run(
                    session,
                    run_id=run_id,
                    status=RunStatus.FAILED,
                    result=None,
                    error={"step": None, "message": message, "retryable": False},
                )
            raise RunCrashedError(f"run {run_id} failed: {message}") from exc

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
            # A provider's stored body (Tally event, Jotform multipart...) read back into
            # the generic form dict the webhook validated when it stored it.
            payload=read_stored_form(
                provider=submission.provider,
                raw_body=submission.raw_body,
                content_type=submission.content_type,
                headers=submission.headers,
                mappings=FormMappings.load(self.context.settings.form_mappings_path),
            ),
            received_at=submission.received_at.isoformat(),
            errors=[],
        )
