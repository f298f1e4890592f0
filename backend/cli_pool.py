"""`deme pool status|refill|import|export`: the template pool from the command line."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from backend.config import Settings, get_settings
from backend.errors import DemeError
from backend.logging import configure_logging

pool_app = typer.Typer(help="The pool of quote sheets copied ahead of time.")
console = Console()


async def _with_db(settings: Settings, action: Any) -> Any:
    from backend.db.session import Database

    db = await Database.connect(settings)
    try:
        return await action(db)
    finally:
        await db.dispose()


@pool_app.command("status")
def status_command() -> None:
    """Print how many sheets are available and in use, and the target."""
    from backend.db import pool as pool_store

    settings = get_settings()

    async def action(db: Any) -> Any:
        async with db.session() as session:
            return await pool_store.pool_status(session)

    configure_logging("WARNING")
    status = asyncio.run(_with_db(settings, action))
    console.print(f"available: {status.available}, in use: {status.in_use}, "
                  f"target: {settings.template_pool_target}", highlight=False)


@pool_app.command("refill")
def refill_command(
    target: Annotated[
        int | None, typer.Option(help="Sheets to keep available; default TEMPLATE_POOL_TARGET")
    ] = None,
) -> None:
    """Copy the template until the target number of sheets is available."""
    from backend.setup.pool import refill_with_settings

    settings = get_settings()
    configure_logging("WARNING")
    try:
        outcome = asyncio.run(refill_with_settings(settings, target=target))
    except DemeError as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(f"added: {outcome.added}, available: {outcome.available}, "
                  f"target: {outcome.target}", highlight=False)
    if outcome.error:
        console.print(f"[yellow]warning:[/yellow] {outcome.error}", soft_wrap=True)
        raise typer.Exit(1)


@pool_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help='Seed file {"available": [...], "in_use": [...]}')],
) -> None:
    """Add the sheets listed in a seed file; sheets already in the pool keep their state."""
    from backend.db import pool as pool_store

    async def action(db: Any) -> int:
        async with db.session() as session:
            return await pool_store.import_seed(session, file)

    from backend.db.errors import PoolSeedError

    configure_logging("WARNING")
    try:
        added = asyncio.run(_with_db(get_settings(), action))
    except (DemeError, PoolSeedError) as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from exc
    console.print(f"imported: {added} sheets added", highlight=False)


@pool_app.command("export")
def export_command(
    file: Annotated[
        Path | None, typer.Argument(help="Write the seed here; default: standard output")
    ] = None,
) -> None:
    """Write the pool in the seed file format."""
    from backend.db import pool as pool_store

    async def action(db: Any) -> Any:
        async with db.session() as session:
            return await pool_store.export_seed(session)

    configure_logging("WARNING")
    seed = asyncio.run(_with_db(get_settings(), action))
    text = json.dumps(seed, ensure_ascii=False, indent=2) + "\n"
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        console.print(f"exported to {file}", highlight=False)
