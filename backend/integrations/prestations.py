"""Prestation pages in Notion: one per submission, found again by its submission id."""

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import structlog

from backend.integrations import notion_properties as props
from backend.integrations.workspace import Workspace

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PrestationDraft:
    """What the pipeline knows about the event when it creates the page."""

    submission_id: str
    name: str
    client_page_id: str
    event_type: str
    status: str
    start: datetime | date | None
    end: datetime | date | None
    guests: int | None
    options: list[str]
    address: str
    message: str
    problems: list[str]
    total_ht: Decimal
    total_ttc: Decimal


@dataclass(frozen=True)
class PrestationRecord:
    """A prestation page and whether this call created it."""

    page_id: str
    url: str
    name: str
    status: str
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _properties(draft: PrestationDraft, timezone: str) -> dict[str, Any]:
    return {
        "Nom": props.title(draft.name),
        "Client": props.relation([draft.client_page_id]),
        "Type": props.select(draft.event_type),
        "Date": props.date_range(draft.start, draft.end, time_zone=timezone),
        "Convives": props.number(draft.guests),
        "Statut": props.select(draft.status),
        "Options": props.multi_select(draft.options),
        "Adresse": props.rich_text(draft.address),
        "Message": props.rich_text(draft.message),
        "Problèmes": props.rich_text("\n".join(draft.problems)),
        "Total HT": props.number(draft.total_ht),
        "Total TTC": props.number(draft.total_ttc),
        "Soumission": props.rich_text(draft.submission_id),
    }


async def find_prestation(workspace: Workspace, submission_id: str) -> dict[str, Any] | None:
    return await workspace.notion.find_one(
        workspace.prestations_data_source_id,
        props.text_equals("Soumission", "rich_text", submission_id),
    )


async def create_prestation(workspace: Workspace, draft: PrestationDraft) -> PrestationRecord:
    """Create the prestation page unless one already carries this submission id."""
    page, created = await workspace.notion.create_page_once(
        workspace.prestations_data_source_id,
        _properties(draft, workspace.timezone),
        find=lambda: find_prestation(workspace, draft.submission_id),
    )
    event = "prestation.created" if created else "prestation.found"
    log.info(event, prestation_page_id=page["id"])
    return PrestationRecord(
        page_id=page["id"],
        url=page.get("url", ""),
        name=props.read_plain_text(page, "Nom"),
        status=props.read_value(page, "Statut") or draft.status,
        created=created,
    )


async def link_prestation(
    workspace: Workspace, page_id: str, *, sheet_url: str | None = None,
    event_url: str | None = None,
) -> None:
    """Store the quote sheet or calendar event URL on the prestation (idempotent)."""
    updates: dict[str, Any] = {}
    if sheet_url:
        updates["Devis"] = props.url(sheet_url)
    if event_url:
        updates["Événement"] = props.url(event_url)
    if updates:
        await workspace.notion.update_page(page_id, updates)
