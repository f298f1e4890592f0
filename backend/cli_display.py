"""Terminal output of `deme run`: a live table of steps, then the run's summary."""

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from backend.graph.builder import STEP_ORDER
from backend.graph.progress import StepEvent

STATUS_STYLE = {
    "pending": "dim",
    "running": "yellow",
    "succeeded": "green",
    "failed": "red",
    "skipped": "magenta",
}


class LiveSteps:
    """A table of the pipeline's steps refreshed as their status changes."""

    def __init__(self, console: Console, *, enabled: bool) -> None:
        self._console = console
        self._enabled = enabled
        self._rows: dict[str, StepEvent | None] = {step: None for step in STEP_ORDER}
        self._live: Live | None = None

    def update(self, event: StepEvent) -> None:
        self._rows[event.step] = event
        if self._live is not None:
            self._live.update(self._table())

    def _table(self) -> Table:
        table = Table(title="Pipeline", show_edge=False)
        table.add_column("step")
        table.add_column("status")
        table.add_column("duration", justify="right")
        table.add_column("detail", overflow="fold")
        for step, event in self._rows.items():
            status = event.status if event else "pending"
            duration = f"{event.duration_ms} ms" if event and event.duration_ms is not None else ""
            style = STATUS_STYLE.get(status, "")
            detail = (event.detail or "") if event else ""
            table.add_row(step, f"[{style}]{status}[/{style}]", duration, detail)
        return table

    def __enter__(self) -> "LiveSteps":
        if self._enabled:
            self._live = Live(self._table(), console=self._console, refresh_per_second=8)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(exc_type, exc, traceback)
            self._live = None


def _created(flag: bool | None) -> str:
    return "[green]created[/green]" if flag else "[cyan]found (already existed)[/cyan]"


def print_summary(console: Console, result: dict[str, Any]) -> None:
    """Print the run's outcome for a person: what exists now, the quote, problems, links."""
    status_style = {"succeeded": "green", "partial": "yellow", "failed": "red"}[result["status"]]
    status = f"[{status_style}]{result['status']}[/{status_style}]"
    console.print(f"\nRun [bold]{result['run_id']}[/bold]: {status}")
    if result["nothing_new"]:
        console.print(
            "[cyan]Nothing new was created: this inquiry had already been processed, "
            "and every step found what the first run made.[/cyan]"
        )

    client = result.get("client")
    if client:
        created = _created(client["created"])
        email = client["email"] or "no email"
        console.print(f"Client: {client['name']} <{email}> — {created}")
    prestation = result.get("prestation")
    if prestation:
        status = f"[bold]{prestation['status']}[/bold]"
        console.print(f"Prestation: {prestation['name']} — status {status}")

    quote = result.get("quote")
    if quote:
        console.print(_quote_table(quote))

    problems = result.get("problems") or []
    console.print("Problems: " + ("none" if not problems else ""))
    for problem in problems:
        console.print(f"  - {problem}")
    for error in result.get("errors", []):
        hint = " (a retry may help)" if error["retryable"] else ""
        console.print(f"[red]  ! {error['step']}: {error['message']}{hint}[/red]")

    for line in _link_lines(result):
        console.print(line, soft_wrap=True)


def _quote_table(quote: dict[str, Any]) -> Table:
    table = Table(title="Quote", show_edge=False)
    for column in ("item", "label", "qty", "unit price HT", "VAT %", "total HT"):
        table.add_column(column, justify="left" if column in ("item", "label") else "right")
    for line in quote["lines"]:
        table.add_row(
            line["item_id"], line["label"], line["quantity"], line["unit_price"],
            line["vat_rate"], line["total_ht"],
        )
    table.add_section()
    table.add_row("", "Total HT", "", "", "", quote["total_ht"])
    for rate, amount in quote["vat_by_rate"].items():
        table.add_row("", f"VAT {rate} %", "", "", "", amount)
    table.add_row("", "[bold]Total TTC[/bold]", "", "", "", f"[bold]{quote['total_ttc']}[/bold]")
    return table


def _link_lines(result: dict[str, Any]) -> list[str]:
    lines = ["Links:"]
    for label, key in (
        ("prestation", "prestation"), ("client", "client"), ("quote sheet", "sheet"),
        ("calendar event", "event"),
    ):
        record = result.get(key)
        if record and record.get("url"):
            lines.append(f"  {label}: {record['url']}")
    email = result.get("email")
    if email:
        lines.append(f"  email: {email['subject']} → {', '.join(email['recipients'])}")
    for label, path in (result.get("files") or {}).items():
        lines.append(f"  {label}: {path}")
    return lines
