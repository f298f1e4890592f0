"""`deme setup notion|google` and `deme auth google|key`: connect deme to a real workspace."""

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from backend.config import Settings, get_settings
from backend.errors import DemeError
from backend.logging import configure_logging

setup_app = typer.Typer(help="Create deme's Notion databases and Google quote template.")
auth_app = typer.Typer(help="Authorise deme's Google account; make the token encryption key.")

console = Console()


def _print_settings(settings: dict[str, str]) -> None:
    console.print("\nKeep these settings (add them to .env):")
    for name, value in settings.items():
        console.print(f"{name}={value}", soft_wrap=True, highlight=False)


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
    return typer.Exit(1)


@setup_app.command("notion")
def setup_notion_command(
    parent: Annotated[
        str, typer.Option("--parent", help="URL or id of a Notion page shared with the integration")
    ],
) -> None:
    """Create the Clients, Prestations and quote lines databases (or check existing ones)."""
    configure_logging("WARNING")
    try:
        result = asyncio.run(_setup_notion(get_settings(), parent))
    except DemeError as exc:
        raise _fail(exc) from exc
    for item in result.databases:
        state = "created" if item.created else "found, schema checked"
        console.print(
            f"{item.title}: {state} (data source {item.data_source_id})",
            highlight=False,
            soft_wrap=True,
        )
    for problem in result.problems:
        console.print(f"[red]problem:[/red] {problem.message}", soft_wrap=True)
    _print_settings(result.settings)
    if result.problems:
        raise typer.Exit(1)


async def _setup_notion(settings: Settings, parent: str):  # noqa: ANN202 - NotionSetup
    from backend.setup.notion import setup_notion
    from backend.setup.notion_admin import NotionAdmin

    admin = NotionAdmin(settings, emulator_url=settings.emulator_url)
    try:
        return await setup_notion(admin, parent)
    finally:
        await admin.aclose()


@setup_app.command("google")
def setup_google_command(
    no_pool: Annotated[bool, typer.Option("--no-pool", help="Do not fill the pool")] = False,
) -> None:
    """Create the quote template spreadsheet and the pool folder, then fill the pool."""
    configure_logging("WARNING")
    try:
        result = asyncio.run(_setup_google(get_settings(), fill_pool=not no_pool))
    except DemeError as exc:
        raise _fail(exc) from exc
    folder_state = "created" if result.folder_created else "found"
    console.print(
        f"Pool folder: {folder_state} ({result.folder_id})", highlight=False, soft_wrap=True
    )
    state = "created" if result.template_created else "found"
    console.print(
        f"Quote template: {state} ({result.template_url})", highlight=False, soft_wrap=True
    )
    if result.named_ranges_added and not result.template_created:
        console.print(f"Named ranges added: {', '.join(result.named_ranges_added)}")
    console.print("Sharing: none (only deme's Google account can open these files)")
    if result.pool is not None:
        pool = result.pool
        console.print(
            f"Pool: {pool.added} copies added, {pool.available} available (target {pool.target})",
            highlight=False,
            soft_wrap=True,
        )
        if pool.error:
            console.print(f"[yellow]warning:[/yellow] {pool.error}", soft_wrap=True)
    _print_settings(result.settings)


async def _setup_google(settings: Settings, *, fill_pool: bool):  # noqa: ANN202 - GoogleSetup
    from backend.db.session import Database
    from backend.setup.google import open_google_gateway, setup_google

    db = await Database.connect(settings)
    try:
        google = open_google_gateway(settings, emulator_url=settings.emulator_url)
        return await setup_google(google, settings, db, fill_pool=fill_pool)
    finally:
        await db.dispose()


@auth_app.command("google")
def auth_google_command(
    port: Annotated[int, typer.Option(help="Local port of the consent redirect; 0 = any")] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the consent address instead of opening it")
    ] = False,
) -> None:
    """Authorise deme's Google account; runs waiting in needs_reauth then resume."""
    from backend.setup.authorize import authorize

    configure_logging("WARNING")
    try:
        result = authorize(get_settings(), port=port, open_browser=not no_browser)
    except DemeError as exc:
        raise _fail(exc) from exc
    console.print(
        f"Google authorised ({result.kind}, {len(result.scopes)} scopes); "
        "credentials stored encrypted in PostgreSQL.",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"Runs resumed: {len(result.runs_requeued)}", highlight=False, soft_wrap=True)


@auth_app.command("key")
def auth_key_command() -> None:
    """Print a new TOKEN_ENCRYPTION_KEY for .env (keep it secret, and keep it)."""
    from backend.integrations.google_auth import generate_key

    typer.echo(f"TOKEN_ENCRYPTION_KEY={generate_key()}")
