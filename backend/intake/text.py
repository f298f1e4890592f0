"""Text helpers shared by intake: accent and case folding, match keys, JSON type names."""

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_NON_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Return `text` in lower case without accents, ligatures expanded (œ → oe)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def words(text: str) -> list[str]:
    """Split `text` into folded alphanumeric words, so punctuation and spacing vanish."""
    return [word for word in _NON_ALPHANUMERIC.split(fold(text)) if word]


def match_key(text: str) -> str:
    """Return the key two spellings share when they differ only in case, accents,
    spacing or punctuation ("Mange-Debout" and "mange debout" give "mangedebout")."""
    return "".join(words(text))


def json_type_name(value: Any) -> str:
    """Name the JSON type of a parsed value for an error message ("a list", "null")."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    return type(value).__name__
