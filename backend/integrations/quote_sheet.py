"""The quote sheet of a prestation: claimed from the pool, renamed, then filled."""

from dataclasses import asdict, dataclass
from typing import Any

import structlog

from backend.db import pool as pool_store
from backend.db import side_effects
from backend.db.session import Database
from backend.integrations.quote_sheet_content import QuoteSheetContent, value_ranges
from backend.integrations.workspace import Workspace
from backend.setup.pool import copy_template, source_of

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SheetRecord:
    """The quote sheet of a submission and whether this call took it from the pool."""

    sheet_id: str
    url: str
    title: str
    from_pool: bool
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def take_sheet(
    workspace: Workspace,
    db: Database,
    *,
    run_id: str,
    submission_key: str,
    submission_ref: str,
    title: str,
) -> SheetRecord:
    """Return the submission's sheet, claiming a pool sheet (or a fresh copy) the first time."""
    async with db.session() as session:
        known = await side_effects.find_side_effect(session, kind="sheet", key=submission_key)
        if known is not None:
            return SheetRecord(known.external_id, known.url or "", title, False, created=False)

        claimed = await pool_store.claim_sheet(session, run_id=run_id)
        await session.commit()

    from_pool = claimed is not None
    if claimed is not None:
        sheet_id, url = claimed.sheet_id, claimed.url
    else:
        log.warning("pool.empty", action="copying the template on demand")
        sheet_id, url = await copy_template(source_of(workspace), name=title)

    async with db.session() as session:
        stored = await side_effects.record_side_effect(
            session,
            run_id=run_id,
            submission_id=submission_ref,
            kind="sheet",
            key=submission_key,
            external_id=sheet_id,
            url=url,
            data={"from_pool": from_pool},
        )
        await session.commit()
    # Another execution may have recorded its sheet first: theirs wins, ours stays unused.
    return SheetRecord(stored.external_id, stored.url or url, title, from_pool, created=True)


async def fill_sheet(
    workspace: Workspace, sheet: SheetRecord, content: QuoteSheetContent
) -> SheetRecord:
    """Rename the sheet and overwrite its named ranges; safe to repeat."""
    renamed = await workspace.google.rename_file(sheet.sheet_id, sheet.title)
    await workspace.google.write_ranges(sheet.sheet_id, value_ranges(content))
    url = renamed.get("webViewLink") or sheet.url
    log.info("quote_sheet.filled", sheet_id=sheet.sheet_id, lines=len(content.lines))
    return SheetRecord(sheet.sheet_id, url, sheet.title, sheet.from_pool, sheet.created)
