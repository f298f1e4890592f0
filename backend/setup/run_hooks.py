"""Workspace hooks around a run: schema error explanations and the pool top-up."""

import asyncio
from typing import Any

import structlog

from backend.graph.context import PipelineContext
from backend.graph.state import IntakeState
from backend.integrations.workspace_schema import DATA_SOURCES
from backend.setup.notion_schema import SchemaProblem, compare_schema
from backend.setup.pool import refill_if_low, source_of

log = structlog.get_logger(__name__)


async def explain_schema_errors(context: PipelineContext, state: IntakeState) -> IntakeState:
    """Rewrite Notion validation errors of a run as the schema differences that caused them.

    Notion answers "Email is not a property that exists." for a renamed property; the
    run's error then names the data source, the property, what it became and the fix,
    as `deme doctor` does.
    """
    errors = state.get("errors", [])
    if not any(error.get("service") == "notion" and error.get("status") == 400 for error in errors):
        return state
    try:
        problems = await _schema_problems(context)
    except Exception as exc:  # noqa: BLE001 - the original error still stands
        log.warning("run.schema_check_failed", error=f"{type(exc).__name__}: {exc}")
        return state
    if not problems:
        return state
    explained = "; ".join(problem.message for problem in problems)
    rewritten = [
        {**error, "message": f"{explained} (Notion said: {error['message']})"}
        if error.get("service") == "notion" and error.get("status") == 400
        else error
        for error in errors
    ]
    return {**state, "errors": rewritten}


async def _schema_problems(context: PipelineContext) -> list[SchemaProblem]:
    workspace = context.workspace
    ids = {
        "clients": workspace.clients_data_source_id,
        "prestations": workspace.prestations_data_source_id,
        "quote_lines": workspace.quote_lines_data_source_id,
    }
    client = workspace.notion._client  # noqa: SLF001 - the gateway's SDK client
    problems: list[SchemaProblem] = []
    for key, schema in DATA_SOURCES.items():
        source = await client.data_sources.retrieve(ids[key])
        problems.extend(compare_schema(schema, source, ids))
    return problems


async def top_up_pool(context: PipelineContext) -> asyncio.Task[Any] | None:
    """Start a background refill when the pool ran low; return its task.

    With the emulator the pool is filled whenever a runtime starts, so nothing is done.
    """
    settings = context.settings
    if settings.uses_google_emulator or settings.template_pool_low_water == 0:
        return None
    return await refill_if_low(
        source_of(context.workspace),
        context.db,
        target=settings.template_pool_target,
        low=settings.template_pool_low_water,
    )
