"""Decode request bodies: JSON, URL-encoded forms (PHP bracket keys) and multipart forms."""

import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from backend.intake.errors import InvalidPayloadError
from backend.intake.providers.base import Delivery
from backend.intake.validation import parse_payload, without_unstorable_characters

JSON_TYPES = frozenset({"application/json"})
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

# "fields[name][value]" → "fields", then "name", "value"; "options[]" appends.
_BRACKET_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_BRACKET_PART = re.compile(r"\[([^\[\]]*)\]")


def decode_json_object(delivery: Delivery) -> dict[str, Any]:
    """Return the body's JSON object; raises InvalidPayloadError naming the problem."""
    return parse_payload(delivery.raw_body)


def decode_form(delivery: Delivery) -> dict[str, Any]:
    """Return a JSON object, URL-encoded or multipart body as one dict.

    URL-encoded and multipart keys written the PHP way ("fields[name][value]",
    "options[]") become nested dicts and lists, as PHP's `http_build_query` wrote them.
    NUL characters become spaces, as in JSON bodies, because PostgreSQL text rejects them.
    """
    media_type = delivery.media_type
    if media_type in JSON_TYPES:
        return decode_json_object(delivery)
    if media_type == URLENCODED:
        return without_unstorable_characters(nest_php_keys(_urlencoded_pairs(delivery.raw_body)))
    if media_type == MULTIPART:
        return without_unstorable_characters(nest_php_keys(_multipart_pairs(delivery)))
    raise InvalidPayloadError(f"cannot decode a body of type {media_type!r}")


def _urlencoded_pairs(raw_body: bytes) -> list[tuple[str, str]]:
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidPayloadError(f"body is not valid UTF-8: {error.reason}") from error
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError as error:
        raise InvalidPayloadError(f"body is not a valid URL-encoded form: {error}") from error


def _multipart_pairs(delivery: Delivery) -> list[tuple[str, str]]:
    """Read the text parts of a multipart/form-data body with the standard email parser."""
    if "boundary=" not in delivery.content_type:
        raise InvalidPayloadError("multipart body has no boundary in its Content-Type header")
    preamble = f"Content-Type: {delivery.content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(preamble + delivery.raw_body)
    if not message.is_multipart():
        raise InvalidPayloadError("multipart body could not be split into parts")

    pairs: list[tuple[str, str]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name or part.get_filename():
            continue  # uploaded files are not form answers
        payload = part.get_payload(decode=True) or b""
        try:
            pairs.append((str(name), payload.decode(part.get_content_charset() or "utf-8")))
        except (UnicodeDecodeError, LookupError) as error:
            raise InvalidPayloadError(f"multipart field {name!r} is not valid text") from error
    return pairs


def nest_php_keys(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Build nested dicts and lists from PHP-style keys; a repeated plain key keeps the last."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        found = _BRACKET_KEY.match(key)
        if found is None or not found[2]:
            result[key] = value
            continue
        path = [found[1], *_BRACKET_PART.findall(found[2])]
        _set_path(result, path, value)
    return result


def _set_path(target: dict[str, Any], path: list[str], value: str) -> None:
    node: Any = target
    for index, part in enumerate(path):
        last = index == len(path) - 1
        next_is_append = not last and path[index + 1] == ""
        if isinstance(node, list):
            if last:
                node.append(value)
                return
            child: Any = [] if next_is_append else {}
            node.append(child)
            node = child
            continue
        if last:
            node[part] = value
            return
        if part not in node or not isinstance(node[part], dict | list):
            node[part] = [] if next_is_append else {}
        node = node[part]


def parse_json_text(text: Any, where: str) -> dict[str, Any]:
    """Decode a JSON object sent as a string inside a form field (Jotform's `rawRequest`)."""
    if not isinstance(text, str):
        raise InvalidPayloadError(f"{where} is missing or not text")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"{where} is not valid JSON: {error.msg} at column {error.colno}"
        raise InvalidPayloadError(message) from error
    if not isinstance(data, dict):
        raise InvalidPayloadError(f"{where} must be a JSON object")
    return data
