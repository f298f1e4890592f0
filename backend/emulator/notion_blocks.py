"""Notion pages outside data sources, and the block children that list what a page holds.

`deme setup notion` creates its databases under such a page (one the caterer shared with
the integration) and, on a second run, finds them again among the page's children
(`child_database` blocks), as with the real API.
"""

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.emulator.clock import iso_millis
from backend.emulator.errors import validation_error
from backend.emulator.notion_objects import BOT_USER_ID, not_found, page_url
from backend.emulator.notion_values import normalize_id, validate_rich_text
from backend.emulator.store import Store

PLAIN_PAGE = "notion_plain_page"


def create_plain_page(
    store: Store, title: str, *, parent_page_id: str | None = None, page_id: str | None = None
) -> dict[str, Any]:
    """Store a page that belongs to no data source (a workspace page or a sub-page)."""
    stamp = iso_millis()
    page = {
        "id": page_id or str(uuid.uuid4()),
        "title": title,
        "parent_page_id": parent_page_id,
        "created_time": stamp,
        "last_edited_time": stamp,
        "in_trash": False,
    }
    store.put(PLAIN_PAGE, page["id"], page, parent=parent_page_id)
    return page


def render_plain_page(page: dict[str, Any], base_url: str) -> dict[str, Any]:
    parent: dict[str, Any] = {"type": "workspace", "workspace": True}
    if page["parent_page_id"]:
        parent = {"type": "page_id", "page_id": page["parent_page_id"]}
    return {
        "object": "page",
        "id": page["id"],
        "created_time": page["created_time"],
        "last_edited_time": page["last_edited_time"],
        "created_by": {"object": "user", "id": BOT_USER_ID},
        "last_edited_by": {"object": "user", "id": BOT_USER_ID},
        "parent": parent,
        "archived": page["in_trash"],
        "in_trash": page["in_trash"],
        "properties": {
            "title": {
                "id": "title",
                "type": "title",
                "title": validate_rich_text([{"text": {"content": page["title"]}}], "title"),
            }
        },
        "url": page_url(base_url, page["id"]),
        "public_url": None,
    }


def parent_page_of(store: Store, parent: dict[str, Any]) -> dict[str, Any]:
    """Return the plain page a `{"page_id": ...}` parent names, or raise Notion's 404."""
    page_id = normalize_id(parent.get("page_id"))
    if page_id is None:
        raise validation_error(
            f"body.parent.page_id should be a valid uuid, instead was {parent.get('page_id')!r}."
        )
    page = store.get(PLAIN_PAGE, page_id)
    if page is None or page["in_trash"]:
        raise not_found("page", page_id)
    return page


def _child_blocks(store: Store, page_id: str) -> list[dict[str, Any]]:
    blocks = []
    for page in store.documents(PLAIN_PAGE, parent=page_id):
        blocks.append(_block(page, "child_page"))
    for database in store.documents("notion_database"):
        if database.get("parent_page_id") == page_id:
            blocks.append(_block(database, "child_database"))
    return blocks


def _block(item: dict[str, Any], block_type: str) -> dict[str, Any]:
    return {
        "object": "block",
        "id": item["id"],
        "type": block_type,
        block_type: {"title": item["title"]},
        "created_time": item["created_time"],
        "last_edited_time": item["last_edited_time"],
        "has_children": block_type == "child_database",
        "archived": item["in_trash"],
        "in_trash": item["in_trash"],
    }


async def block_children_list(request: Request) -> Response:
    raw = request.path_params["block_id"]
    block_id = normalize_id(raw)
    store: Store = request.app.state.store
    if block_id is None:
        raise validation_error(f'path.block_id should be a valid uuid, instead was `"{raw}"`.')
    if store.get(PLAIN_PAGE, block_id) is None:
        raise not_found("block", block_id)
    # NOTE: every child comes in one response; pagination is not emulated here.
    return JSONResponse(
        {
            "object": "list",
            "results": _child_blocks(store, block_id),
            "next_cursor": None,
            "has_more": False,
            "type": "block",
            "block": {},
        }
    )
