"""`deme runs list|show|retry`: the runs of the database, as tables or JSON."""

import asyncio
import json
import sys
import time
import uuid
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from backend.api.runs import MAX_PAGE_SIZE, run_detail, run_summary
from backend.config import Settings, get_settings
from backend.db import run_queue
from backend.db import runs as run_store
from backend.db.models import FINISHED_RUN_STATUSES, RunStatus
from backend.db.session import Database
from backend.logging import configure_logging

runs_app = typer.Typer(help="List, show and retry pipeline runs.", no_args_is_help=True)

EXIT_NOT_FOUND = 4
EXIT_CONFLICT = 5
RETRY_POLL_SECONDS = 0.5

STATUS_STYLE = {
    "queued": "dim",
    "running": "yellow",
    "succeeded": "green",
    "partial": "magenta",
    "failed": "red",
    "needs_reauth": "red",
}

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _styled(status: str) -> str:
    style = STATUS_STYLE.get(status, "")
    return f"[{style}]{status}[/{style}]" if style else status


def _short_time(value: str | None) -> str:
    return value[:19].replace("T", " ") if value else ""


def _error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    retry = " (retryable)" if error.get("retryable") else ""
    return f"{error.get('step')}: {error.get('message')}{retry}"


def _parse_run_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a run id (a UUID)") from exc


async def _connect(settings: Settings) -> Database:
    return await Database.connect(settings)


async def _list(
    settings: Settings, filters: run_queue.RunFilter, limit: int, cursor: str | None
) -> run_queue.RunPage:
    db = await _connect(settings)
    try:
        async with db.session() as session:
            return await run_queue.list_runs_page(
                session, filters=filters, limit=limit, cursor=cursor
            )
    finally:
        await db.dispose()


@runs_app.command("list")
def list_command(
    status: Annotated[
        list[RunStatus] | None, typer.Option("--status", "-s", help="Repeat for several")
    ] = None,
    created_from: Annotated[
        str | None, typer.Option("--from", help="First UTC day created, YYYY-MM-DD")
    ] = None,
    created_to: Annotated[
        str | None, typer.Option("--to", help="Last UTC day created, YYYY-MM-DD")
    ] = None,
    client_email: Annotated[str | None, typer.Option("--email", help="Client email")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="Runs per page")] = 20,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page")] = None,
    json_output: JsonOption = False,
) -> None:
    """List runs, latest first."""
    configure_logging("WARNING")
    try:
        filters = run_queue.RunFilter(
            statuses=tuple(str(value) for value in status or ()),
            created_from=date.fromisoformat(created_from) if created_from else None,
            created_to=date.fromisoformat(created_to) if created_to else None,
            client_email=client_email,
        )
        page = asyncio.run(_list(get_settings(), filters, limit, cursor))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc

    runs = [run_summary(run) for run in page.runs]
    if json_output:
        _print_json({"runs": runs, "next_cursor": page.next_cursor})
        return
    console = Console()
    table = Table(show_edge=False)
    for column in ("run", "status", "created (UTC)", "client", "prestation", "try", "error"):
        table.add_column(column, overflow="fold")
    for run in runs:
        table.add_row(
            run["id"],
            _styled(run["status"]),
            _short_time(run["created_at"]),
            run["client_email"] or "",
            run["prestation"] or "",
            str(run["attempts"]),
            _error_text(run["error"]),
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"more: deme runs list --cursor {page.next_cursor}")


async def _show(settings: Settings, run_id: uuid.UUID) -> dict[str, Any] | None:
    db = await _connect(settings)
    try:
        async with db.session() as session:
            run = await run_store.get_run(session, run_id=run_id)
            if run is None:
                return None
            steps = await run_store.list_steps(session, run_id=run_id)
            return run_detail(run, steps)
    finally:
        await db.dispose()


def _print_detail(console: Console, detail: dict[str, Any]) -> None:
    console.print(f"run {detail['id']}  {_styled(detail['status'])}  attempts {detail['attempts']}")
    console.print(f"created {_short_time(detail['created_at'])}  "
                  f"finished {_short_time(detail['finished_at']) or '-'}")
    if detail["error"]:
        console.print(f"[red]error[/red] {_error_text(detail['error'])}", soft_wrap=True)
    table = Table(show_edge=False)
    for column in ("step", "try", "status", "ms", "error"):
        table.add_column(column, overflow="fold")
    for step in detail["steps"]:
        table.add_row(
            step["name"],
            str(step["attempt"]),
            _styled(step["status"]),
            "" if step["duration_ms"] is None else str(step["duration_ms"]),
            (step["error"] or "") + (" (retryable)" if step["retryable"] else ""),
        )
    console.print(table)
    result = detail["result"] or {}
    for label in ("client", "prestation", "sheet", "event"):
        url = (result.get(label) or {}).get("url")
        if url:
            console.print(f"{label}: {url}", soft_wrap=True)


@runs_app.command("show")
def show_command(
    run_id: Annotated[str, typer.Argument(help="Run id")], json_output: JsonOption = False
) -> None:
    """Show a run's steps with their attempts, durations and errors, and its links."""
    configure_logging("WARNING")
    detail = asyncio.run(_show(get_settings(), _parse_run_id(run_id)))
    if detail is None:
        Console(stderr=True).print(f"[red]error:[/red] run {run_id} not found")
        raise typer.Exit(EXIT_NOT_FOUND)
    if json_output:
        _print_json(detail)
    else:
        _print_detail(Console(), detail)


async def _retry(settings: Settings, run_id: uuid.UUID, wait_seconds: float) -> dict[str, Any]:
    from backend.jobs.dispatch import open_dispatcher
    from backend.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        async with runtime.db.session() as session:
            await run_queue.queue_retry(session, run_id=run_id)
        dispatcher = open_dispatcher(runtime, inline=True)
        await dispatcher.start()
        try:
            await dispatcher.dispatch(run_id)
        finally:
            await dispatcher.stop()
        # In Celery mode, or when a `deme serve` worker claimed the run first, another
        # process executes it: wait for it to end.
        deadline = time.monotonic() + wait_seconds
        while True:
            async with runtime.db.session() as session:
                run = await run_store.get_run(session, run_id=run_id)
                steps = await run_store.list_steps(session, run_id=run_id)
            if run.status in FINISHED_RUN_STATUSES or time.monotonic() > deadline:
                return run_detail(run, steps)
            await asyncio.sleep(RETRY_POLL_SECONDS)


@runs_app.command("retry")
def retry_command(
    run_id: Annotated[str, typer.Argument(help="Id of a failed or partial run")],
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for a run another process executes")
    ] = 300.0,
    json_output: JsonOption = False,
) -> None:
    """Execute a failed or partial run again: done steps find what exists, failed ones rerun.

    Without Celery the run executes in this command; with Celery a `deme worker` does.
    """
    configure_logging("WARNING")
    console = Console(stderr=json_output)
    try:
        detail = asyncio.run(_retry(get_settings(), _parse_run_id(run_id), wait))
    except run_queue.RunNotFoundError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_NOT_FOUND) from exc
    except run_queue.RunNotRetryableError as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_CONFLICT) from exc

    if json_output:
        _print_json(detail)
    else:
        _print_detail(console, detail)
    if detail["status"] != RunStatus.SUCCEEDED:
        raise typer.Exit(1)
