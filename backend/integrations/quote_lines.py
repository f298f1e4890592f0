"""Quote line pages in Notion: one per priced line, keyed by submission id and line number."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import structlog

from backend.integrations import notion_properties as props
from backend.integrations.workspace import Workspace

log = structlog.get_logger(__name__)

CONCURRENT_CREATES = 3


@dataclass(frozen=True)
class QuoteLineDraft:
    """One priced line of the quote as the pipeline computed it."""

    line_no: int
    item_id: str
    label: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    total_ht: Decimal


@dataclass(frozen=True)
class QuoteLineRecord:
    """A quote line page and whether this call created it."""

    line_no: int
    page_id: str
    url: str
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def line_key(submission_id: str, line_no: int) -> str:
    return f"{submission_id}#{line_no}"


async def create_quote_lines(
    workspace: Workspace,
    *,
    submission_id: str,
    prestation_page_id: str,
    lines: list[QuoteLineDraft],
) -> list[QuoteLineRecord]:
    """Create the lines the prestation does not have yet; existing ones are kept as is."""
    existing = await workspace.notion.query(
        workspace.quote_lines_data_source_id,
        filter={"property": "Prestation", "relation": {"contains": prestation_page_id}},
        limit=1000,
    )
    by_key = {props.read_plain_text(page, "Clé"): page for page in existing}
    # A few creates in flight at once: Notion allows short bursts above its 3 requests/s
    # average, and the lines of one quote are independent of each other.
    slots = asyncio.Semaphore(CONCURRENT_CREATES)

    async def ensure(line: QuoteLineDraft) -> QuoteLineRecord:
        key = line_key(submission_id, line.line_no)
        page = by_key.get(key)
        created = False
        if page is None:
            async with slots:
                page, created = await workspace.notion.create_page_once(
                    workspace.quote_lines_data_source_id,
                    _properties(line, key, prestation_page_id),
                    find=_finder(workspace, key),
                    known_absent=True,
                )
        return QuoteLineRecord(line.line_no, page["id"], page.get("url", ""), created=created)

    records = list(await asyncio.gather(*(ensure(line) for line in lines)))
    log.info(
        "quote_lines.done",
        created=sum(record.created for record in records),
        existing=sum(not record.created for record in records),
    )
    return records


def _finder(workspace: Workspace, key: str) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    async def find() -> dict[str, Any] | None:
        return await workspace.notion.find_one(
            workspace.quote_lines_data_source_id, props.text_equals("Clé", "rich_text", key)
        )

    return find


def _properties(line: QuoteLineDraft, key: str, prestation_page_id: str) -> dict[str, Any]:
    return {
        "Libellé": props.title(line.label),
        "Prestation": props.relation([prestation_page_id]),
        "Article": props.rich_text(line.item_id),
        "Ligne": props.number(line.line_no),
        "Quantité": props.number(line.quantity),
        "Prix unitaire HT": props.number(line.unit_price),
        "TVA": props.number(line.vat_rate),
        "Total HT": props.number(line.total_ht),
        "Clé": props.rich_text(key),
    }
