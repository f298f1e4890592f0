"""Builders and readers for Notion property values (request and response shapes)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Notion rejects a rich-text `text.content` longer than 2,000 characters.
RICH_TEXT_CHUNK = 2000


def title(text: str) -> dict[str, Any]:
    return {"title": _rich_text_items(text)}


def rich_text(text: str | None) -> dict[str, Any]:
    return {"rich_text": _rich_text_items(text or "")}


def _rich_text_items(text: str) -> list[dict[str, Any]]:
    """Split long text into chunks, since each rich-text item is capped at 2,000 characters."""
    chunks = [text[i : i + RICH_TEXT_CHUNK] for i in range(0, len(text), RICH_TEXT_CHUNK)]
    return [{"type": "text", "text": {"content": chunk}} for chunk in chunks[:100]]


def email(value: str | None) -> dict[str, Any]:
    return {"email": value or None}


def phone(value: str | None) -> dict[str, Any]:
    return {"phone_number": value or None}


def number(value: Decimal | int | float | None) -> dict[str, Any]:
    if value is None:
        return {"number": None}
    return {"number": float(value) if isinstance(value, Decimal) else value}


def url(value: str | None) -> dict[str, Any]:
    return {"url": value or None}


def select(name: str | None) -> dict[str, Any]:
    return {"select": {"name": name} if name else None}


def multi_select(names: list[str]) -> dict[str, Any]:
    # Notion forbids commas in option names.
    return {"multi_select": [{"name": name.replace(",", " ")[:100]} for name in names]}


def relation(page_ids: list[str]) -> dict[str, Any]:
    return {"relation": [{"id": page_id} for page_id in page_ids]}


def date_range(
    start: datetime | date | None, end: datetime | date | None, *, time_zone: str | None = None
) -> dict[str, Any]:
    """Return a date value; timed values carry their offset, so no time_zone is sent."""
    if start is None:
        return {"date": None}
    value: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat() if end else None}
    if time_zone and isinstance(start, datetime) and start.tzinfo is None:
        value["time_zone"] = time_zone
    return {"date": value}


def text_equals(property_name: str, kind: str, value: str) -> dict[str, Any]:
    """Return a query filter matching a text-like property (title, rich_text, email...)."""
    return {"property": property_name, kind: {"equals": value}}


def read_plain_text(page: dict[str, Any], property_name: str) -> str:
    """Return the plain text of a title or rich_text property of a page ('' if absent)."""
    prop = page.get("properties", {}).get(property_name) or {}
    items = prop.get(prop.get("type", ""), []) or []
    if not isinstance(items, list):
        return ""
    return "".join(
        item.get("plain_text") or item.get("text", {}).get("content", "") for item in items
    )


def read_value(page: dict[str, Any], property_name: str) -> Any:
    """Return the raw value of a non-text property (email, number, url, select name...)."""
    prop = page.get("properties", {}).get(property_name) or {}
    value = prop.get(prop.get("type", ""))
    if isinstance(value, dict) and "name" in value:
        return value["name"]
    return value
