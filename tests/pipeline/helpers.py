"""Helpers for pipeline tests: run an inquiry the way `deme run` does, count what exists."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.emulator import RunningEmulator, bootstrap
from backend.graph.submissions import accept_submission
from backend.runtime import Runtime

INQUIRIES = Path(__file__).resolve().parents[1] / "data" / "inquiries"


def sample(sample_name: str, /, **changes: Any) -> dict[str, Any]:
    payload = json.loads((INQUIRIES / f"{sample_name}.json").read_text(encoding="utf-8"))
    payload.update(changes)
    return payload


async def run_payload(runtime: Runtime, payload: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    accepted = await accept_submission(
        runtime.db, runtime.catalog, raw_body=raw, content_type="application/json"
    )
    return await runtime.runner.execute(str(accepted.run_id))


@dataclass(frozen=True)
class WorkspaceCounts:
    clients: int
    prestations: int
    quote_lines: int
    events: int
    emails: int
    renamed_sheets: int


def counts(emulator: RunningEmulator) -> WorkspaceCounts:
    store = emulator.store
    sheets = [
        doc for doc in store.documents("spreadsheet")
        if doc.get("title", "").startswith("Devis –")
    ]
    return WorkspaceCounts(
        clients=len(store.notion_pages(bootstrap.CLIENTS_DATA_SOURCE_ID)),
        prestations=len(store.notion_pages(bootstrap.PRESTATIONS_DATA_SOURCE_ID)),
        quote_lines=len(store.notion_pages(bootstrap.QUOTE_LINES_DATA_SOURCE_ID)),
        events=len(store.calendar_events()),
        emails=len(store.sent_messages()),
        renamed_sheets=len(sheets),
    )


def relation_ids(page: dict[str, Any], name: str) -> list[str]:
    # The emulator stores relation values as page ids.
    return [item if isinstance(item, str) else item["id"] for item in page["properties"][name]]
