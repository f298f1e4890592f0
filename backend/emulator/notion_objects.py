"""Notion objects: response shapes of pages, data sources and databases, and their creation.

Shared by the Notion routes and the bootstrap.
"""

import uuid
from typing import Any

import structlog

from backend.emulator.clock import iso_millis
from backend.emulator.errors import NotionError, validation_error
from backend.emulator.notion_values import (
    PROPERTY_TYPES,
    normalize_id,
    render_value,
    schema_property,
    validate_rich_text,
)
from backend.emulator.store import Store

log = structlog.get_logger(__name__)

BOT_USER_ID = "00000000-0000-4000-8000-00000000b07e"


def not_found(kind: str, object_id: str) -> NotionError:
    return NotionError(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and "
        "databases are shared with your integration.",
    )


def _user() -> dict[str, str]:
    return {"object": "user", "id": BOT_USER_ID}


def title_text(items: list[dict[str, Any]]) -> str:
    return "".join(item["plain_text"] for item in items)


def _rich_title(text: str) -> list[dict[str, Any]]:
    return validate_rich_text([{"text": {"content": text}}], "title")


# Rendering


def page_url(base_url: str, page_id: str) -> str:
    return f"{base_url}/notion/{page_id.replace('-', '')}"


def render_page(page: dict[str, Any], source: dict[str, Any], base_url: str) -> dict[str, Any]:
    properties = {
        prop["name"]: render_value(prop, page["properties"].get(pid))
        for pid, prop in source["properties"].items()
    }
    return {
        "object": "page",
        "id": page["id"],
        "created_time": page["created_time"],
        "last_edited_time": page["last_edited_time"],
        "created_by": _user(),
        "last_edited_by": _user(),
        "cover": page.get("cover"),
        "icon": page.get("icon"),
        "parent": {
            "type": "data_source_id",
            "data_source_id": page["data_source_id"],
            "database_id": page["database_id"],
        },
        "archived": page["in_trash"],
        "in_trash": page["in_trash"],
        "is_locked": False,
        "properties": properties,
        "url": page_url(base_url, page["id"]),
        "public_url": None,
    }


def render_data_source(source: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {
        "object": "data_source",
        "id": source["id"],
        "created_time": source["created_time"],
        "last_edited_time": source["last_edited_time"],
        "created_by": _user(),
        "last_edited_by": _user(),
        "title": _rich_title(source["title"]),
        "description": [],
        "icon": None,
        "cover": None,
        "parent": {"type": "database_id", "database_id": source["database_id"]},
        "database_parent": {"type": "workspace", "workspace": True},
        "properties": {prop["name"]: prop for prop in source["properties"].values()},
        "is_inline": False,
        "archived": source["in_trash"],
        "in_trash": source["in_trash"],
        "url": page_url(base_url, source["id"]),
        "public_url": None,
    }


def render_database(database: dict[str, Any], store: Store, base_url: str) -> dict[str, Any]:
    sources = []
    for source_id in database["data_source_ids"]:
        source = store.get("notion_data_source", source_id)
        if source is not None:
            sources.append({"id": source_id, "name": source["title"]})
    return {
        "object": "database",
        "id": database["id"],
        "created_time": database["created_time"],
        "last_edited_time": database["last_edited_time"],
        "created_by": _user(),
        "last_edited_by": _user(),
        "title": _rich_title(database["title"]),
        "description": [],
        "icon": None,
        "cover": None,
        "parent": (
            {"type": "page_id", "page_id": database["parent_page_id"]}
            if database.get("parent_page_id")
            else {"type": "workspace", "workspace": True}
        ),
        "is_inline": False,
        "is_locked": False,
        "in_trash": database["in_trash"],
        "archived": database["in_trash"],
        "data_sources": sources,
        "url": page_url(base_url, database["id"]),
        "public_url": None,
    }


# Schema creation, shared with the bootstrap


def build_schema(store: Store, spec: Any) -> dict[str, dict[str, Any]]:
    """Turn a request `properties` schema into stored properties keyed by id."""
    if not isinstance(spec, dict):
        raise validation_error("body.properties should be an object.")
    properties: dict[str, dict[str, Any]] = {}
    for name, config in spec.items():
        prop = schema_from_request(store, name, config)
        properties[prop["id"]] = prop
    titles = [prop for prop in properties.values() if prop["type"] == "title"]
    if len(titles) != 1:
        raise validation_error(
            f"A data source needs exactly one title property, instead had {len(titles)}."
        )
    return properties


def schema_from_request(store: Store, name: str, config: Any) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise validation_error(f"body.properties.{name} should be an object.")
    types = [key for key in config if key in PROPERTY_TYPES]
    if len(types) != 1:
        raise validation_error(
            f"body.properties.{name} should name one property type of {', '.join(PROPERTY_TYPES)}."
        )
    type_ = types[0]
    details = config[type_] or {}
    options = [item["name"] for item in details.get("options", []) if isinstance(item, dict)]
    relation = None
    if type_ == "relation":
        target = normalize_id(details.get("data_source_id"))
        source = store.get("notion_data_source", target) if target else None
        if source is None:
            raise validation_error(
                f"body.properties.{name}.relation.data_source_id should be an existing "
                f"data source, instead was {details.get('data_source_id')!r}."
            )
        relation = {"data_source_id": source["id"], "database_id": source["database_id"]}
    return schema_property(name, type_, options, relation)


def create_data_source(
    store: Store,
    database_id: str,
    title: str,
    properties: dict[str, dict[str, Any]],
    source_id: str | None = None,
) -> dict[str, Any]:
    stamp = iso_millis()
    source = {
        "id": source_id or str(uuid.uuid4()),
        "database_id": database_id,
        "title": title,
        "properties": properties,
        "created_time": stamp,
        "last_edited_time": stamp,
        "in_trash": False,
    }
    with store.transaction():
        database = store.get("notion_database", database_id)
        if database is None:
            raise not_found("database", database_id)
        database["data_source_ids"].append(source["id"])
        store.put("notion_database", database_id, database)
        store.put("notion_data_source", source["id"], source)
    log.info("emulator.notion.data_source_created", data_source_id=source["id"], title=title)
    return source


def create_database(
    store: Store, title: str, database_id: str | None = None, parent_page_id: str | None = None
) -> dict[str, Any]:
    stamp = iso_millis()
    database = {
        "id": database_id or str(uuid.uuid4()),
        "title": title,
        "parent_page_id": parent_page_id,
        "data_source_ids": [],
        "created_time": stamp,
        "last_edited_time": stamp,
        "in_trash": False,
    }
    store.put("notion_database", database["id"], database)
    return database
