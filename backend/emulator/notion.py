"""Notion API routes (version 2025-09-03): data sources, databases and pages."""

import html
import uuid
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from backend.emulator.clock import iso_millis
from backend.emulator.errors import NotionError, validation_error
from backend.emulator.middleware import parse_json
from backend.emulator.notion_blocks import (
    PLAIN_PAGE,
    block_children_list,
    create_plain_page,
    parent_page_of,
    render_plain_page,
)
from backend.emulator.notion_filters import compile_filter, sort_pages
from backend.emulator.notion_objects import (
    BOT_USER_ID,
    build_schema,
    create_data_source,
    create_database,
    not_found,
    render_data_source,
    render_database,
    render_page,
    schema_from_request,
    title_text,
)
from backend.emulator.notion_values import (
    PROPERTY_TYPES,
    find_property,
    normalize_id,
    plain_text,
    validate_rich_text,
    validate_values,
)
from backend.emulator.store import Store

log = structlog.get_logger(__name__)

PAGE_SIZE_MAX = 100


def _store(request: Request) -> Store:
    return request.app.state.store


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _body(request: Request) -> dict[str, Any]:
    body = parse_json(await request.body(), "notion")
    if not isinstance(body, dict):
        raise NotionError(400, "invalid_json", "The request body should be a JSON object.")
    return body


def _id_param(request: Request, name: str) -> str:
    raw = request.path_params[name]
    value = normalize_id(raw)
    if value is None:
        raise validation_error(f'path.{name} should be a valid uuid, instead was `"{raw}"`.')
    return value


# Data sources and databases


async def data_sources_retrieve(request: Request) -> Response:
    source_id = _id_param(request, "data_source_id")
    source = _store(request).get("notion_data_source", source_id)
    if source is None:
        raise not_found("data_source", source_id)
    return JSONResponse(render_data_source(source, _base_url(request)))


async def data_sources_create(request: Request) -> Response:
    body = await _body(request)
    store = _store(request)
    parent = body.get("parent")
    database_id = normalize_id(parent.get("database_id")) if isinstance(parent, dict) else None
    if database_id is None:
        raise validation_error("body.parent.database_id should be a valid uuid.")
    title = title_text(validate_rich_text(body.get("title", []), "body.title"))
    properties = build_schema(store, body.get("properties", {}))
    source = create_data_source(store, database_id, title, properties)
    return JSONResponse(render_data_source(source, _base_url(request)))


async def data_sources_update(request: Request) -> Response:
    source_id = _id_param(request, "data_source_id")
    body = await _body(request)
    store = _store(request)
    with store.transaction():
        source = store.get("notion_data_source", source_id)
        if source is None:
            raise not_found("data_source", source_id)
        if "title" in body:
            source["title"] = title_text(validate_rich_text(body["title"], "body.title"))
        for key, change in (body.get("properties") or {}).items():
            _update_schema_property(store, source, key, change)
        if "in_trash" in body or "archived" in body:
            source["in_trash"] = bool(body.get("in_trash", body.get("archived")))
        source["last_edited_time"] = iso_millis()
        store.put("notion_data_source", source_id, source)
    return JSONResponse(render_data_source(source, _base_url(request)))


def _update_schema_property(store: Store, source: dict[str, Any], key: str, change: Any) -> None:
    properties = source["properties"]
    found = find_property(properties, key)
    if change is None:
        if found is None:
            raise validation_error(f"{key} is not a property that exists.")
        if found[1]["type"] == "title":
            raise validation_error("The title property of a data source cannot be removed.")
        del properties[found[0]]
        return
    if not isinstance(change, dict):
        raise validation_error(f"body.properties.{key} should be an object or `null`.")
    new_name = change.get("name", found[1]["name"] if found else key)
    if any(type_ in change for type_ in PROPERTY_TYPES):
        prop = schema_from_request(store, new_name, change)
        if found is not None:
            prop["id"] = found[0]
            del properties[found[0]]
        properties[prop["id"]] = prop
    elif found is not None:
        found[1]["name"] = new_name
    else:
        raise validation_error(f"{key} is not a property that exists.")


async def databases_retrieve(request: Request) -> Response:
    database_id = _id_param(request, "database_id")
    store = _store(request)
    database = store.get("notion_database", database_id)
    if database is None:
        raise not_found("database", database_id)
    return JSONResponse(render_database(database, store, _base_url(request)))


async def databases_create(request: Request) -> Response:
    body = await _body(request)
    store = _store(request)
    title = title_text(validate_rich_text(body.get("title", []), "body.title"))
    initial = body.get("initial_data_source") or {}
    parent = body.get("parent")
    parent_page_id = None
    if isinstance(parent, dict) and "page_id" in parent:
        parent_page_id = parent_page_of(store, parent)["id"]
    properties = build_schema(store, initial.get("properties", {"Name": {"title": {}}}))
    database = create_database(store, title, parent_page_id=parent_page_id)
    source = create_data_source(store, database["id"], title, properties)
    _add_dual_relations(store, source, initial.get("properties", {}))
    database = store.get("notion_database", database["id"]) or database
    return JSONResponse(render_database(database, store, _base_url(request)))


def _add_dual_relations(store: Store, source: dict[str, Any], spec: dict[str, Any]) -> None:
    """Give each `dual_property` relation its synced property in the target data source.

    NOTE: only the schema is two-way; a value written on one side is not mirrored on
    the other side as Notion does.
    """
    with store.transaction():
        for name, config in spec.items():
            relation = config.get("relation") if isinstance(config, dict) else None
            if not isinstance(relation, dict) or "dual_property" not in relation:
                continue
            target = store.get("notion_data_source", normalize_id(relation["data_source_id"]))
            found = find_property(source["properties"], name)
            if target is None or found is None:
                continue
            synced_name = (relation.get("dual_property") or {}).get(
                "synced_property_name"
            ) or source["title"]
            back = schema_from_request(
                store, synced_name, {"relation": {"data_source_id": source["id"]}}
            )
            back["relation"].update(
                {
                    "type": "dual_property",
                    "dual_property": {"synced_property_name": name, "synced_property_id": found[0]},
                }
            )
            back["relation"].pop("single_property", None)
            target["properties"][back["id"]] = back
            forward = found[1]["relation"]
            forward.pop("single_property", None)
            forward.update(
                {
                    "type": "dual_property",
                    "dual_property": {
                        "synced_property_name": synced_name,
                        "synced_property_id": back["id"],
                    },
                }
            )
            store.put("notion_data_source", target["id"], target)
        store.put("notion_data_source", source["id"], source)


async def data_sources_query(request: Request) -> Response:
    source_id = _id_param(request, "data_source_id")
    body = await _body(request)
    store = _store(request)
    source = store.get("notion_data_source", source_id)
    if source is None:
        raise not_found("data_source", source_id)
    predicate = compile_filter(body.get("filter"), source["properties"])
    page_size = body.get("page_size", PAGE_SIZE_MAX)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 100:
        raise validation_error(
            f"body.page_size should be an integer from 1 to {PAGE_SIZE_MAX}, "
            f"instead was {page_size!r}."
        )

    want_trashed = bool(body.get("in_trash") or body.get("archived"))
    pages = [
        page
        for page in store.documents("notion_page", parent=source_id)
        if bool(page["in_trash"]) == want_trashed and predicate(page)
    ]
    # NOTE: without `sorts` pages come in creation order; Notion's default order is
    # not documented.
    pages = sort_pages(pages, body.get("sorts"), source["properties"])

    start = 0
    cursor = body.get("start_cursor")
    if cursor is not None:
        ids = [page["id"] for page in pages]
        cursor_id = normalize_id(cursor)
        if cursor_id not in ids:
            raise validation_error(f"body.start_cursor should be a valid cursor, was {cursor!r}.")
        start = ids.index(cursor_id)
    chunk = pages[start : start + page_size]
    has_more = start + page_size < len(pages)
    base_url = _base_url(request)
    return JSONResponse(
        {
            "object": "list",
            "results": [render_page(page, source, base_url) for page in chunk],
            "next_cursor": pages[start + page_size]["id"] if has_more else None,
            "has_more": has_more,
            "type": "page_or_data_source",
            "page_or_data_source": {},
            "request_id": request.state.request_id,
        }
    )


# Pages


def _resolve_parent(store: Store, parent: Any) -> dict[str, Any]:
    if not isinstance(parent, dict):
        raise validation_error("body.parent should be defined, instead was `undefined`.")
    if "data_source_id" in parent:
        source_id = normalize_id(parent["data_source_id"])
        source = store.get("notion_data_source", source_id) if source_id else None
        if source is None:
            raise not_found("data_source", str(parent["data_source_id"]))
        return source
    if "database_id" in parent:
        database_id = normalize_id(parent["database_id"])
        database = store.get("notion_database", database_id) if database_id else None
        if database is None:
            raise not_found("database", str(parent["database_id"]))
        if len(database["data_source_ids"]) != 1:
            raise validation_error(
                f"Database {database_id} has {len(database['data_source_ids'])} data sources; "
                "use a data_source_id parent."
            )
        source = store.get("notion_data_source", database["data_source_ids"][0])
        if source is None:
            raise not_found("data_source", database["data_source_ids"][0])
        return source
    raise validation_error(
        "body.parent should have a data_source_id or a database_id; the emulator does not "
        "support page or workspace parents."
    )


def _lookup(store: Store) -> Any:
    return lambda page_id: store.get("notion_page", page_id)


async def pages_create(request: Request) -> Response:
    body = await _body(request)
    store = _store(request)
    parent = body.get("parent")
    if isinstance(parent, dict) and "page_id" in parent:
        return _create_sub_page(request, store, body, parent)
    with store.transaction():
        source = _resolve_parent(store, body.get("parent"))
        before = repr(source["properties"])
        values = validate_values(source["properties"], body.get("properties", {}), _lookup(store))
        if repr(source["properties"]) != before:
            store.put("notion_data_source", source["id"], source)
        stamp = iso_millis()
        page = {
            "id": str(uuid.uuid4()),
            "data_source_id": source["id"],
            "database_id": source["database_id"],
            "properties": values,
            "created_time": stamp,
            "last_edited_time": stamp,
            "in_trash": False,
            "icon": body.get("icon"),
            "cover": body.get("cover"),
        }
        store.put("notion_page", page["id"], page, parent=source["id"])
    log.info("emulator.notion.page_created", page_id=page["id"], data_source_id=source["id"])
    return JSONResponse(render_page(page, source, _base_url(request)))


def _create_sub_page(
    request: Request, store: Store, body: dict[str, Any], parent: dict[str, Any]
) -> Response:
    parent_page = parent_page_of(store, parent)
    title_items = ((body.get("properties") or {}).get("title") or {}).get("title", [])
    title = title_text(validate_rich_text(title_items, "body.properties.title"))
    page = create_plain_page(store, title, parent_page_id=parent_page["id"])
    return JSONResponse(render_plain_page(page, _base_url(request)))


async def pages_retrieve(request: Request) -> Response:
    page_id = _id_param(request, "page_id")
    store = _store(request)
    page = store.get("notion_page", page_id)
    if page is None:
        plain = store.get(PLAIN_PAGE, page_id)
        if plain is not None:
            return JSONResponse(render_plain_page(plain, _base_url(request)))
        raise not_found("page", page_id)
    source = store.get("notion_data_source", page["data_source_id"])
    if source is None:
        raise not_found("data_source", page["data_source_id"])
    return JSONResponse(render_page(page, source, _base_url(request)))


async def pages_update(request: Request) -> Response:
    page_id = _id_param(request, "page_id")
    body = await _body(request)
    store = _store(request)
    with store.transaction():
        page = store.get("notion_page", page_id)
        if page is None:
            raise not_found("page", page_id)
        source = store.get("notion_data_source", page["data_source_id"])
        if source is None:
            raise not_found("data_source", page["data_source_id"])
        trash = body.get("in_trash", body.get("archived"))
        if trash is not None and not isinstance(trash, bool):
            raise validation_error(f"body.in_trash should be a boolean, instead was {trash!r}.")
        stays_trashed = page["in_trash"] and trash is not False
        if stays_trashed and body.get("properties"):
            raise validation_error(
                "Can't edit block that is archived. You must unarchive the block before editing."
            )
        before = repr(source["properties"])
        values = validate_values(source["properties"], body.get("properties", {}), _lookup(store))
        if repr(source["properties"]) != before:
            store.put("notion_data_source", source["id"], source)
        page["properties"].update(values)
        if trash is not None:
            page["in_trash"] = trash
        for key in ("icon", "cover"):
            if key in body:
                page[key] = body[key]
        page["last_edited_time"] = iso_millis()
        store.put("notion_page", page_id, page, parent=source["id"])
    log.info("emulator.notion.page_updated", page_id=page_id, in_trash=page["in_trash"])
    return JSONResponse(render_page(page, source, _base_url(request)))


async def users_me(request: Request) -> Response:
    return JSONResponse(
        {
            "object": "user",
            "id": BOT_USER_ID,
            "name": "deme emulator",
            "avatar_url": None,
            "type": "bot",
            "bot": {"owner": {"type": "workspace", "workspace": True}, "workspace_name": "deme"},
        }
    )


async def unknown_route(request: Request) -> Response:
    raise NotionError(
        400, "invalid_request_url", f"Invalid request URL: {request.method} {request.url.path}"
    )


async def page_view(request: Request) -> Response:
    """Serve a read-only HTML view of a page for a person following its `url`."""
    page_id = normalize_id(request.path_params["page_hex"])
    store = _store(request)
    page = store.get("notion_page", page_id) if page_id else None
    if page is None:
        return HTMLResponse("<h1>Page not found</h1>", status_code=404)
    source = store.get("notion_data_source", page["data_source_id"]) or {"properties": {}}
    rows = []
    for pid, prop in source["properties"].items():
        value = page["properties"].get(pid)
        if prop["type"] == "relation":
            shown = ", ".join(value or [])
        elif prop["type"] == "multi_select":
            shown = ", ".join(item["name"] for item in value or [])
        else:
            shown = plain_text(prop, value) or ""
        rows.append(f"<tr><th>{html.escape(prop['name'])}</th><td>{html.escape(shown)}</td></tr>")
    title = html.escape(source.get("title", "Page"))
    trashed = " (in trash)" if page["in_trash"] else ""
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><title>{title}</title>"
        f"<h1>{title}{trashed}</h1><table>{''.join(rows)}</table>"
    )


ROUTES = [
    Route("/v1/data_sources", data_sources_create, methods=["POST"]),
    Route("/v1/data_sources/{data_source_id}", data_sources_retrieve, methods=["GET"]),
    Route("/v1/data_sources/{data_source_id}", data_sources_update, methods=["PATCH"]),
    Route("/v1/data_sources/{data_source_id}/query", data_sources_query, methods=["POST"]),
    Route("/v1/databases", databases_create, methods=["POST"]),
    Route("/v1/databases/{database_id}", databases_retrieve, methods=["GET"]),
    Route("/v1/pages", pages_create, methods=["POST"]),
    Route("/v1/pages/{page_id}", pages_retrieve, methods=["GET"]),
    Route("/v1/pages/{page_id}", pages_update, methods=["PATCH"]),
    Route("/v1/users/me", users_me, methods=["GET"]),
    Route("/v1/blocks/{block_id}/children", block_children_list, methods=["GET"]),
    Route("/v1/{rest:path}", unknown_route, methods=["GET", "POST", "PATCH", "DELETE", "PUT"]),
    Route("/notion/{page_hex}", page_view, methods=["GET"]),
]
