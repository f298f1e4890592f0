"""Notion property schemas and values: request validation and response shapes.

Stored page values are keyed by property id, so a renamed property keeps its values.
Limits follow https://developers.notion.com/reference/request-limits (2025-09-03).
"""

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.emulator.errors import validation_error

RICH_TEXT_MAX_CHARS = 2000
RICH_TEXT_MAX_ITEMS = 100
URL_MAX_CHARS = 2000
EMAIL_MAX_CHARS = 200
PHONE_MAX_CHARS = 200
RELATION_MAX_ITEMS = 100
MULTI_SELECT_MAX_ITEMS = 100
SELECT_NAME_MAX_CHARS = 100

# Property types the emulator supports; a schema with another type is rejected.
PROPERTY_TYPES = (
    "title",
    "rich_text",
    "number",
    "select",
    "multi_select",
    "date",
    "email",
    "phone_number",
    "url",
    "relation",
    "checkbox",
)
TEXT_TYPES = ("title", "rich_text")
STRING_TYPES = ("email", "phone_number", "url")
STRING_LIMITS = {"email": EMAIL_MAX_CHARS, "phone_number": PHONE_MAX_CHARS, "url": URL_MAX_CHARS}
OPTION_COLORS = ("blue", "green", "orange", "purple", "pink", "yellow", "red", "brown", "gray")

# Looks up a page by id for relation checks: returns the stored page or None.
PageLookup = Callable[[str], dict[str, Any] | None]


def normalize_id(value: Any) -> str | None:
    """Return a Notion id in dashed UUID form, or None when it is not a UUID."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def property_id(name: str, type_: str) -> str:
    """Derive a stable short property id, like Notion's 4-character ids ("title" for title)."""
    if type_ == "title":
        return "title"
    digest = hashlib.sha1(name.encode()).digest()[:3]
    return base64.b64encode(digest).decode().replace("/", "_").replace("+", "-")


def _shown(value: Any) -> str:
    if value is None:
        return "`undefined`"
    return "`" + json.dumps(value, ensure_ascii=False)[:200] + "`"


def option(name: str, index: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"notion-option:{name}"))[:8],
        "name": name,
        "color": OPTION_COLORS[index % len(OPTION_COLORS)],
        "description": None,
    }


def schema_property(
    name: str,
    type_: str,
    options: tuple[str, ...] | list[str] = (),
    relation: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Build a data source property in Notion's response shape."""
    if type_ not in PROPERTY_TYPES:
        raise validation_error(
            f"Property type {type_!r} of {name} is not supported by the emulator; "
            f"use one of {', '.join(PROPERTY_TYPES)}."
        )
    config: dict[str, Any] = {}
    if type_ in ("select", "multi_select"):
        config = {"options": [option(value, i) for i, value in enumerate(options)]}
    elif type_ == "number":
        config = {"format": "number"}
    elif type_ == "relation":
        config = {**(relation or {}), "type": "single_property", "single_property": {}}
    return {"id": property_id(name, type_), "name": name, "type": type_, type_: config}


def empty_value(type_: str) -> Any:
    if type_ in (*TEXT_TYPES, "multi_select", "relation"):
        return []
    if type_ == "checkbox":
        return False
    return None


def find_property(
    properties: dict[str, dict[str, Any]], key: str
) -> tuple[str, dict[str, Any]] | None:
    """Find a schema property by name or by id."""
    for pid, prop in properties.items():
        if prop["name"] == key:
            return pid, prop
    if key in properties:
        return key, properties[key]
    return None


def validate_values(
    properties: dict[str, dict[str, Any]], values: Any, lookup: PageLookup
) -> dict[str, Any]:
    """Validate request property values against a schema; return stored values by id.

    Select and multi-select options missing from the schema are added to
    `properties` in place, as Notion does for an integration with edit access.
    """
    if not isinstance(values, dict):
        raise validation_error(
            f"body.properties should be an object, instead was {_shown(values)}."
        )
    stored: dict[str, Any] = {}
    for key, value in values.items():
        found = find_property(properties, key)
        if found is None:
            raise validation_error(f"{key} is not a property that exists.")
        pid, prop = found
        stored[pid] = _validate_value(prop, value, lookup)
    return stored


def _validate_value(
    prop: dict[str, Any],
    value: Any,
    lookup: PageLookup,
) -> Any:
    name, type_ = prop["name"], prop["type"]
    path = f"body.properties.{name}"
    if not isinstance(value, dict):
        raise validation_error(f"{path} should be an object, instead was {_shown(value)}.")

    if type_ not in value:
        raise validation_error(f"{name} is expected to be {type_}.")
    raw = value[type_]

    if type_ in TEXT_TYPES:
        return validate_rich_text(raw, f"{path}.{type_}")

    if type_ == "number":
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int | float)):
            raise validation_error(
                f"{path}.number should be a number or `null`, instead was {_shown(raw)}."
            )
        return raw

    if type_ in STRING_TYPES:
        return _validate_string(raw, f"{path}.{type_}", STRING_LIMITS[type_])

    if type_ == "checkbox":
        if not isinstance(raw, bool):
            raise validation_error(
                f"{path}.checkbox should be a boolean, instead was {_shown(raw)}."
            )
        return raw

    if type_ == "date":
        return _validate_date(raw, f"{path}.date")

    if type_ == "select":
        if raw is None:
            return None
        return _resolve_option(prop, raw, f"{path}.select")

    if type_ == "multi_select":
        if not isinstance(raw, list):
            raise validation_error(
                f"{path}.multi_select should be an array, instead was {_shown(raw)}."
            )
        if len(raw) > MULTI_SELECT_MAX_ITEMS:
            raise validation_error(
                f"{path}.multi_select.length should be ≤ {MULTI_SELECT_MAX_ITEMS}, "
                f"instead was {len(raw)}."
            )
        return [
            _resolve_option(prop, item, f"{path}.multi_select[{i}]") for i, item in enumerate(raw)
        ]

    if type_ == "relation":
        return _validate_relation(prop, raw, path, lookup)
    raise validation_error(f"{name} has an unsupported property type {type_}.")


def validate_rich_text(raw: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise validation_error(f"{path} should be an array, instead was {_shown(raw)}.")
    if len(raw) > RICH_TEXT_MAX_ITEMS:
        raise validation_error(
            f"{path}.length should be ≤ {RICH_TEXT_MAX_ITEMS}, instead was {len(raw)}."
        )
    items = []
    for i, item in enumerate(raw):
        item_path = f"{path}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("text"), dict):
            raise validation_error(
                f"{item_path}.text should be defined, instead was {_shown(item)}. "
                "The emulator supports text items only."
            )
        content = item["text"].get("content")
        if not isinstance(content, str):
            raise validation_error(
                f"{item_path}.text.content should be a string, instead was {_shown(content)}."
            )
        if len(content) > RICH_TEXT_MAX_CHARS:
            raise validation_error(
                f"{item_path}.text.content.length should be ≤ {RICH_TEXT_MAX_CHARS}, "
                f"instead was {len(content)}."
            )
        link = item["text"].get("link")
        href = None
        if link is not None:
            href = link.get("url") if isinstance(link, dict) else None
            if not isinstance(href, str) or len(href) > URL_MAX_CHARS:
                raise validation_error(
                    f"{item_path}.text.link.url should be a string of at most "
                    f"{URL_MAX_CHARS} characters, instead was {_shown(href)}."
                )
        annotations = {
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "code": False,
            "color": "default",
        }
        annotations.update(item.get("annotations") or {})
        items.append(
            {
                "type": "text",
                "text": {"content": content, "link": {"url": href} if href else None},
                "annotations": annotations,
                "plain_text": content,
                "href": href,
            }
        )
    return items


def _validate_string(raw: Any, path: str, limit: int) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise validation_error(f"{path} should be a string or `null`, instead was {_shown(raw)}.")
    if len(raw) > limit:
        raise validation_error(f"{path}.length should be ≤ {limit}, instead was {len(raw)}.")
    return raw


def parse_date(text: str) -> date | datetime:
    """Parse an ISO 8601 date or date-time as Notion accepts it; raise ValueError."""
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def _validate_date(raw: Any, path: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise validation_error(f"{path} should be an object or `null`, instead was {_shown(raw)}.")
    start = raw.get("start")
    end = raw.get("end")
    for label, text in (("start", start), ("end", end)):
        if text is None and label == "end":
            continue
        try:
            if not isinstance(text, str):
                raise ValueError(text)
            parse_date(text)
        except ValueError as error:
            raise validation_error(
                f"{path}.{label} should be a valid ISO 8601 date string, "
                f"instead was {_shown(text)}."
            ) from error
    time_zone = raw.get("time_zone")
    if time_zone is not None:
        try:
            ZoneInfo(str(time_zone))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise validation_error(
                f"{path}.time_zone should be a valid IANA time zone, "
                f"instead was {_shown(time_zone)}."
            ) from error
    return {"start": start, "end": end, "time_zone": time_zone}


def _resolve_option(prop: dict[str, Any], raw: Any, path: str) -> dict[str, Any]:
    options = prop[prop["type"]]["options"]
    if not isinstance(raw, dict) or ("name" not in raw and "id" not in raw):
        raise validation_error(
            f"{path} should be an object with a name or an id, instead was {_shown(raw)}."
        )
    if "id" in raw and "name" not in raw:
        for existing in options:
            if existing["id"] == raw["id"]:
                return {key: existing[key] for key in ("id", "name", "color")}
        raise validation_error(f"{path}.id: option {raw['id']} does not exist in {prop['name']}.")
    name = raw["name"]
    if not isinstance(name, str) or not name or len(name) > SELECT_NAME_MAX_CHARS:
        raise validation_error(
            f"{path}.name should be a non-empty string of at most {SELECT_NAME_MAX_CHARS} "
            f"characters, instead was {_shown(name)}."
        )
    if "," in name:
        raise validation_error(f"Select option names cannot contain commas: {name!r}.")
    for existing in options:
        if existing["name"] == name:
            return {key: existing[key] for key in ("id", "name", "color")}
    created = option(name, len(options))
    options.append(created)
    return {key: created[key] for key in ("id", "name", "color")}


def _validate_relation(prop: dict[str, Any], raw: Any, path: str, lookup: PageLookup) -> list[str]:
    if not isinstance(raw, list):
        raise validation_error(f"{path}.relation should be an array, instead was {_shown(raw)}.")
    if len(raw) > RELATION_MAX_ITEMS:
        raise validation_error(
            f"{path}.relation.length should be ≤ {RELATION_MAX_ITEMS}, instead was {len(raw)}."
        )
    target = prop["relation"].get("data_source_id")
    ids = []
    for i, item in enumerate(raw):
        page_id = normalize_id(item.get("id")) if isinstance(item, dict) else None
        if page_id is None:
            raise validation_error(
                f"{path}.relation[{i}].id should be a valid uuid, instead was {_shown(item)}."
            )
        page = lookup(page_id)
        if page is None or page.get("data_source_id") != target:
            raise validation_error(
                f"{path}.relation[{i}].id: page {page_id} does not exist in data source "
                f"{target}, which {prop['name']} relates to."
            )
        ids.append(page_id)
    return ids


def render_value(prop: dict[str, Any], stored: Any) -> dict[str, Any]:
    """Return a page property value in Notion's response shape."""
    type_ = prop["type"]
    value = empty_value(type_) if stored is None and type_ != "number" else stored
    rendered: dict[str, Any] = {"id": prop["id"], "type": type_}
    if type_ == "relation":
        rendered["relation"] = [{"id": page_id} for page_id in value]
        rendered["has_more"] = False
    else:
        rendered[type_] = value
    return rendered


def plain_text(prop: dict[str, Any], stored: Any) -> str | None:
    """Return a value as comparable text (None when empty) for filters and sorts."""
    if stored is None:
        return None
    if prop["type"] in TEXT_TYPES:
        text = "".join(item["plain_text"] for item in stored)
        return text or None
    if isinstance(stored, dict):
        return stored.get("name")
    return str(stored) if stored != "" else None
