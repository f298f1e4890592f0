"""`deme search`: search past prestations, and rebuild the search index.

`deme search "mariage Dupont"` prints a table; `deme search reindex` indexes what is
stale, resizing the embedding column and re-embedding every row when the embedding
provider, model or dimensions changed.
"""

import asyncio
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from typer.core import TyperGroup

from backend.config import Settings, get_settings
from backend.db.session import Database
from backend.logging import configure_logging
from backend.search import (
    ReindexReport,
    SearchHit,
    embedder_from_settings,
    reindex,
    search_prestations,
)


class QueryFirstGroup(TyperGroup):
    """Treat `deme search WORDS…` as `deme search query WORDS…` unless WORDS is a command."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["query", *args]
        return super().resolve_command(ctx, args)


search_app = typer.Typer(
    cls=QueryFirstGroup,
    help='Search past prestations: deme search "mariage Dupont juin 2027".',
    no_args_is_help=True,
    add_completion=False,
)


@search_app.command("query")
def query_command(
    words: Annotated[list[str], typer.Argument(help="Query words, French or English")],
    limit: Annotated[int, typer.Option(help="Results to show", min=1, max=50)] = 10,
) -> None:
    """Print the prestations best matching the query, with why each was found."""
    configure_logging("WARNING")
    settings = get_settings()
    query = " ".join(words)
    hits, other_models = asyncio.run(_search(settings, query, limit))
    console = Console()
    if other_models:
        console.print(
            f"[yellow]warning:[/yellow] {other_models} prestations were embedded by another "
            "model and are found by words only: run `deme search reindex`"
        )
    if not hits:
        console.print(f"No prestation matches {query!r}.")
        return
    console.print(hits_table(query, hits))


def hits_table(query: str, hits: list[SearchHit]) -> Table:
    """Lay the results out as the table `deme search` prints."""
    table = Table(title=f"Prestations for {query!r}", show_lines=False)
    for column in ("#", "Prestation", "Client", "Date", "Guests", "Status", "Total TTC", "Why"):
        table.add_column(column, justify="right" if column in {"#", "Guests"} else "left")
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            hit.name or "",
            f"{hit.client_name or ''}\n{hit.client_email or ''}".strip(),
            hit.event_date.strftime("%d/%m/%Y") if hit.event_date else "",
            str(hit.guests) if hit.guests is not None else "",
            hit.status or "",
            f"{hit.total_ttc} €" if hit.total_ttc is not None else "",
            hit.reason,
        )
    return table


@search_app.command("reindex")
def reindex_command(
    full: Annotated[
        bool, typer.Option("--full", help="Re-embed every prestation, stale or not")
    ] = False,
) -> None:
    """Index stale prestations; re-embed all when the embedding model or size changed."""
    configure_logging("WARNING")
    report = asyncio.run(_reindex(get_settings(), full))
    console = Console()
    if report.column_resized_from is not None:
        console.print(
            f"Embedding column resized from {report.column_resized_from} to "
            f"{report.dimensions} dimensions."
        )
    console.print(
        f"Indexed {report.indexed} prestations with {report.model_id}; "
        f"{report.already_current} already current."
    )


async def _search(settings: Settings, query: str, limit: int) -> tuple[list[SearchHit], int]:
    database = await Database.connect(settings)
    try:
        embedder = embedder_from_settings(settings)
        async with database.session() as session:
            hits = await search_prestations(
                session, query, limit=limit, embedder=embedder, settings=settings
            )
            other_models = await session.scalar(
                text(
                    "SELECT count(*) FROM prestations "
                    "WHERE embedding_model IS DISTINCT FROM :model"
                ),
                {"model": embedder.model_id},
            )
        return hits, int(other_models or 0)
    finally:
        await database.dispose()


async def _reindex(settings: Settings, full: bool) -> ReindexReport:
    database = await Database.connect(settings)
    try:
        async with database.session() as session:
            return await reindex(session, embedder=embedder_from_settings(settings), full=full)
    finally:
        await database.dispose()
