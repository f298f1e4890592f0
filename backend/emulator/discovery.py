"""Request body validation against the discovery documents shipped in google-api-python-client.

Field names and basic JSON types are checked like Google's JSON-to-proto parser does,
so a typo in a body fails in tests as it would against Google.
"""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import googleapiclient

from backend.emulator.errors import GoogleError

DOCUMENTS_DIR = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"

# Google names each proto type in type errors, e.g. "(TYPE_STRING)".
PROTO_TYPES = {
    "string": "TYPE_STRING",
    "integer": "TYPE_INT32",
    "number": "TYPE_DOUBLE",
    "boolean": "TYPE_BOOL",
    "object": "TYPE_MESSAGE",
    "array": "TYPE_MESSAGE",
}


@lru_cache
def document(api: str) -> dict[str, Any]:
    """Load a discovery document by name and version, e.g. `calendar.v3`."""
    return json.loads((DOCUMENTS_DIR / f"{api}.json").read_text())


@lru_cache
def method(api: str, method_id: str) -> dict[str, Any]:
    """Return a method of a discovery document by its dotted id, e.g. `events.insert`."""
    *resources, name = method_id.split(".")
    node: dict[str, Any] = document(api)
    for resource in resources:
        node = node["resources"][resource]
    return node["methods"][name]


def validate_body(api: str, method_id: str, body: Any) -> None:
    """Raise a 400 GoogleError listing every unknown field and type mismatch in a body."""
    request = method(api, method_id).get("request")
    if request is None:
        return
    schema_name = request["$ref"]
    # Newer APIs (Sheets) name no location for top-level fields; older ones name the resource.
    root = "" if api.startswith("sheets") else schema_name[0].lower() + schema_name[1:]
    errors: list[str] = []
    _check(body, {"$ref": schema_name}, document(api), root, errors)
    if errors:
        raise GoogleError(
            400,
            "\n".join(errors),
            reason="badRequest",
            extra_errors=[
                {"message": message, "domain": "global", "reason": "badRequest"}
                for message in errors[1:]
            ],
        )


def _at(path: str) -> str:
    return f" at '{path}'" if path else ""


def _type_error(path: str, type_: str, value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)[:100]
    proto = PROTO_TYPES.get(type_, "TYPE_MESSAGE")
    return f"Invalid value{_at(path)} ({proto}), {shown}"


def _check(
    value: Any, schema: dict[str, Any], doc: dict[str, Any], path: str, errors: list[str]
) -> None:
    if value is None:
        return  # JSON null leaves a field at its default value
    if "$ref" in schema:
        schema = doc["schemas"][schema["$ref"]]
    type_ = schema.get("type", "object" if "properties" in schema else "any")
    if type_ == "any":
        return
    if type_ == "object":
        _check_object(value, schema, doc, path, errors)
    elif type_ == "array":
        if not isinstance(value, list):
            errors.append(_type_error(path, type_, value))
            return
        for index, item in enumerate(value):
            _check(item, schema.get("items", {}), doc, f"{path}[{index}]", errors)
    elif not _scalar_ok(type_, schema.get("format"), value):
        errors.append(_type_error(path, type_, value))


def _check_object(
    value: Any, schema: dict[str, Any], doc: dict[str, Any], path: str, errors: list[str]
) -> None:
    if not isinstance(value, dict):
        errors.append(_type_error(path, "object", value))
        return
    properties = schema.get("properties", {})
    additional = schema.get("additionalProperties")
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        if key in properties:
            _check(item, properties[key], doc, child, errors)
        elif additional is not None:
            _check(item, additional, doc, f"{path}[{key}]" if path else key, errors)
        else:
            errors.append(
                f'Invalid JSON payload received. Unknown name "{key}"{_at(path)}: '
                "Cannot find field."
            )


def _scalar_ok(type_: str, format_: str | None, value: Any) -> bool:
    if type_ == "string":
        # 64-bit integers travel as strings, but the parser also takes JSON numbers.
        if format_ in ("int64", "uint64") and isinstance(value, int):
            return not isinstance(value, bool)
        return isinstance(value, str)
    if type_ == "integer":
        if isinstance(value, str):
            return value.lstrip("-").isdigit()
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_ == "boolean":
        return isinstance(value, bool)
    return True
