"""`deme` command line: run the intake pipeline on a file, serve the API."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from backend.cli_doctor import doctor
from backend.cli_pool import pool_app
from backend.cli_runs import runs_app
from backend.cli_search import search_app
from backend.cli_setup import auth_app, setup_app
from backend.cli_worker import worker
from backend.config import get_settings
from backend.errors import DemeError
from backend.intake.errors import IntakeError
from backend.logging import configure_logging

app = typer.Typer(
    help="deme: a caterer's back office. Inquiries become Notion pages, a quote, an event "
    "and an email.",
    no_args_is_help=True,
    add_completion=False,
)

# Exit codes of `deme run`, also listed in the README.
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3


def _print_error(console: Console, json_output: bool, status: str, message: str) -> None:
    """Print an error for a person, and with --json also as a JSON object on stdout."""
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    if json_output:
        sys.stdout.write(json.dumps({"status": status, "error": message}, ensure_ascii=False))
        sys.stdout.write("\n")


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="Inquiry as JSON (the generic form format)")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON object")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show INFO logs")] = False,
) -> None:
    """Process one inquiry end to end and print what was created.

    Exit codes: 0 succeeded, 1 failed, 2 bad input (nothing stored), 3 partial.
    """
    from backend.cli_run import run_inquiry_file

    configure_logging("INFO" if verbose else "WARNING")
    console = Console(stderr=json_output)
    try:
        result = asyncio.run(run_inquiry_file(file, get_settings(), console, json_output))
    except IntakeError as exc:
        _print_error(console, json_output, "rejected", f"{file}: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    except DemeError as exc:
        _print_error(console, json_output, "failed", str(exc))
        raise typer.Exit(EXIT_FAILED) from exc

    if json_output:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    if result["status"] == "failed":
        raise typer.Exit(EXIT_FAILED)
    if result["status"] == "partial":
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    web_processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=3,
            help="HTTP processes (at most 3); above 1, runs execute in a separate process "
            "[default: WEB_PROCESSES, 1]",
        ),
    ] = None,
) -> None:
    """Start the HTTP API (webhook, runs, health) and the direct worker."""
    from backend.serving import serve as serve_api

    configure_logging("INFO")
    settings = get_settings()
    try:
        serve_api(
            settings, host=host, port=port, web_processes=web_processes or settings.web_processes
        )
    except DemeError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_FAILED) from exc


@app.command()
def emulator(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1")] = 8765,
) -> None:
    """Run the local Notion and Google emulator on its own (set EMULATOR_URL to use it)."""
    from backend.emulator.server import main

    configure_logging("INFO")
    main(["--port", str(port), "--data-dir", str(get_settings().data_dir)])


app.add_typer(runs_app, name="runs")
app.add_typer(search_app, name="search")
app.command()(worker)
app.add_typer(setup_app, name="setup")
app.add_typer(auth_app, name="auth")
app.add_typer(pool_app, name="pool")
app.command()(doctor)


if __name__ == "__main__":
    app()
