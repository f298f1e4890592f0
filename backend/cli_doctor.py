"""`deme doctor`: one line per check, the fix under each failure, exit code 1 on failure."""

import asyncio
import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from backend.config import get_settings
from backend.logging import configure_logging

SYMBOLS = {"ok": "[green]ok  [/green]", "warn": "[yellow]warn[/yellow]",
           "fail": "[red]FAIL[/red]", "skip": "[dim]skip[/dim]"}


def doctor(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the checks as one JSON object")
    ] = False,
) -> None:
    """Check the database, Notion, Google, the pool and the LLM settings."""
    from backend.doctor import exit_code, run_doctor

    configure_logging("ERROR")
    checks = asyncio.run(run_doctor(get_settings()))
    code = exit_code(checks)
    if json_output:
        document = {"ok": code == 0, "checks": [check.to_dict() for check in checks]}
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        console = Console()
        for check in checks:
            console.print(f"{SYMBOLS[check.status]} {check.name}: {check.detail}",
                          soft_wrap=True, highlight=False)
            if check.fix and check.status != "ok":
                console.print(f"     fix: {check.fix}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)
