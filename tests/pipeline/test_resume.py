"""A run stopped after any step resumes from its checkpoint and duplicates nothing."""

import json

import pytest

from backend.db import runs as run_store
from backend.graph.builder import STEP_ORDER, build_intake_graph
from backend.graph.submissions import accept_submission

from .helpers import WorkspaceCounts, counts, sample


@pytest.mark.parametrize("stopped_after", STEP_ORDER[:-1])
async def test_run_stopped_after_step_resumes(runtime, emulator, stopped_after):
    raw = json.dumps(sample("wedding-lyon")).encode()
    accepted = await accept_submission(
        runtime.db, runtime.catalog, raw_body=raw, content_type="application/json"
    )
    run_id = str(accepted.run_id)
    runner = runtime.runner
    # The same checkpointer as the real runner: the process "dies" after `stopped_after`.
    crashing = build_intake_graph(runner.checkpointer, interrupt_after=[stopped_after])
    config = {"configurable": {"thread_id": run_id}}
    async with runtime.db.session() as session:
        run = await run_store.get_run(session, run_id=accepted.run_id)
        submission = await run_store.get_submission(session, submission_id=run.submission_id)
    first_input = await runner.initial_input(run_id, config, submission)
    await crashing.ainvoke(first_input, config, context=runner.context)

    result = await runner.execute(run_id)

    assert result["status"] == "succeeded"
    assert counts(emulator) == WorkspaceCounts(1, 1, 4, 1, 1, 1)
    async with runtime.db.session() as session:
        steps = await run_store.list_steps(session, run_id=accepted.run_id)
    executed = [step.step for step in steps]
    assert executed.count("validate") == 1
    assert sorted(set(executed)) == sorted(STEP_ORDER)
