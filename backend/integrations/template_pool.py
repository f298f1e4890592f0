"""Copies of the quote template: the pool refill and the on-demand copy.

Copying a spreadsheet takes Drive a few seconds, so deme keeps copies ready in the
`template_pool` table and a run only claims one. When the pool is empty a run copies the
template itself, which is slower but never fails for lack of a sheet.
"""

import structlog

from backend.db import pool as pool_store
from backend.db.session import Database
from backend.integrations.workspace import Workspace

log = structlog.get_logger(__name__)

POOL_COPY_NAME = "Devis (modèle prêt)"


async def copy_template(workspace: Workspace, name: str = POOL_COPY_NAME) -> tuple[str, str]:
    """Copy the template spreadsheet; return the copy's id and URL."""
    parents = [workspace.pool_folder_id] if workspace.pool_folder_id else None
    copy = await workspace.google.copy_file(
        workspace.template_spreadsheet_id, name=name, parents=parents
    )
    return copy["id"], copy.get("webViewLink", "")


async def refill_pool(workspace: Workspace, db: Database, *, target: int) -> int:
    """Copy the template until `target` sheets are available; return how many were added.

    An advisory lock makes a second concurrent refill wait, then find the pool full.
    """
    added = 0
    async with db.session() as session, pool_store.pool_refill_lock(session):
        status = await pool_store.pool_status(session)
        missing = max(target - status.available, 0)
        for _ in range(missing):
            sheet_id, url = await copy_template(workspace)
            await pool_store.add_sheets(session, [(sheet_id, url)])
            await session.commit()
            added += 1
    if added:
        log.info("pool.refilled", added=added, target=target)
    return added
