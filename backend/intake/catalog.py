"""The caterer's catalog: items with their prices, event types, and option matching.

The catalog is a JSON file the business edits without touching code
(`backend/data/catalog.json`). `Catalog.load` checks every item and raises
`CatalogError` naming the item and field at fault.

Matching an option typed by a client (`Catalog.match`) works in three stages, each
tried on the whole text first and then on the text without a written quantity:

1. exact: the text equals an item's label or alias once case, accents, spacing and
   punctuation are ignored ("Buffet chaud & froid", "MANGE-DEBOUT");
2. plural: the same, after dropping the plural ending of each word
   ("Softs" → "soft", "plateaux repas" → "plateau repas");
3. label words: every word of an item's label appears in the text ("Brunch pour tous"
   → Brunch). When several labels qualify, the one with the most words wins, and a tie
   matches nothing. This stage can misread a text that names two items, so a match
   found this way is flagged for review by the pricing step.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, get_args

from backend.intake.errors import CatalogError
from backend.intake.text import json_type_name, match_key, words

Unit = Literal["per_guest", "per_item", "per_hour", "flat"]
UNITS: tuple[str, ...] = get_args(Unit)

MatchMethod = Literal["exact", "plural", "label_words"]

# The event type given to inquiries whose type is not in the catalog.
FALLBACK_EVENT_TYPE = "Autre"

_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")

# Ways a client writes a quantity with an option, tried in this order.
_QUANTITY_PATTERNS = (
    re.compile(r"^(?P<name>.+?)(?:\s+[xX]|\s*[×*])\s*(?P<quantity>\d+)$"),  # "… x 4", "… ×4"
    re.compile(r"^(?P<quantity>\d+)\s*(?:[xX]\s+|[×*]\s*)(?P<name>.+)$"),  # "4 x …", "4× …"
    re.compile(r"^(?P<name>.+?)\s*\(\s*(?P<quantity>\d+)\s*\)$"),  # "… (4)"
    re.compile(r"^(?P<name>.+?)\s*:\s*(?P<quantity>\d+)$"),  # "… : 4"
    re.compile(r"^(?P<quantity>\d+)\s+(?P<name>.+)$"),  # "4 …"
)


@dataclass(frozen=True)
class CatalogItem:
    """An item the caterer sells, priced excluding VAT in euros."""

    id: str
    label: str
    aliases: tuple[str, ...]
    category: str
    unit: Unit
    unit_price: Decimal
    vat_rate: Decimal  # percent, such as Decimal("10.0")
    min_guests: int | None = None


@dataclass(frozen=True)
class OptionMatch:
    """The result of matching one option typed by a client against the catalog."""

    text: str  # the option as typed, trimmed and with spaces collapsed
    item: CatalogItem | None  # None when nothing in the catalog matches
    quantity: int | None = None  # the quantity written with the option, if any
    method: MatchMethod | None = None

    @property
    def item_id(self) -> str | None:
        return self.item.id if self.item else None


def singular_key(text: str) -> str:
    """Return the match key of `text` with each word's plural ending dropped."""
    return "".join(_singular(word) for word in words(text))


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith(("aux", "eux")):
        return word[:-1]
    if len(word) > 3 and word.endswith("s"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Catalog:
    """Items, event types and the default event length, with indexes for matching."""

    items: tuple[CatalogItem, ...]
    event_types: tuple[str, ...]
    default_event_hours: Decimal
    _by_key: dict[str, CatalogItem] = field(init=False, repr=False, compare=False)
    _by_singular_key: dict[str, CatalogItem] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, CatalogItem] = {}
        for item in self.items:
            for name in (item.label, *item.aliases):
                key = match_key(name)
                other = by_key.get(key)
                if other is not None and other.id != item.id:
                    raise CatalogError(
                        f'catalog items "{other.id}" and "{item.id}" both match "{name}": '
                        "make the labels and aliases distinct"
                    )
                by_key[key] = item
        # Plural folding may merge names of different items, so those keys are dropped.
        by_singular: dict[str, CatalogItem] = {}
        ambiguous: set[str] = set()
        for item in self.items:
            for name in (item.label, *item.aliases):
                key = singular_key(name)
                if key in by_singular and by_singular[key].id != item.id:
                    ambiguous.add(key)
                by_singular[key] = item
        for key in ambiguous:
            del by_singular[key]
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_singular_key", by_singular)

    @classmethod
    def load(cls, path: str | Path) -> "Catalog":
        """Read and check the catalog file at `path`.

        Raises CatalogError when the file is missing, is not valid JSON or contains an
        invalid item or field.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CatalogError(f"catalog file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise CatalogError(f"catalog file {path} could not be read: {error}") from error
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise CatalogError(f"catalog file {path} is not valid JSON: {error}") from error
        try:
            return cls.from_dict(data)
        except CatalogError as error:
            raise CatalogError(f"catalog file {path}: {error}") from None

    @classmethod
    def from_dict(cls, data: Any) -> "Catalog":
        """Build a catalog from parsed JSON, or raise CatalogError naming the invalid field."""
        if not isinstance(data, Mapping):
            raise CatalogError(f"the catalog must be a JSON object, got {json_type_name(data)}")
        raw_items = data.get("items")
        if not isinstance(raw_items, list):
            raise CatalogError('"items" must be a list of items')
        items = tuple(_parse_item(raw, number) for number, raw in enumerate(raw_items, 1))
        _check_unique_ids(items)
        event_types = _parse_event_types(data.get("event_types"))
        hours = _parse_decimal(data.get("default_event_hours"), '"default_event_hours"')
        if hours <= 0:
            raise CatalogError(f'"default_event_hours" must be positive, got {hours}')
        return cls(items=items, event_types=event_types, default_event_hours=hours)

    def get(self, item_id: str) -> CatalogItem:
        """Return the item with this id, or raise KeyError if there is none."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"no catalog item with id {item_id!r}")

    def match(self, text: str) -> OptionMatch:
        """Match an option typed by a client to an item, as the module docstring describes."""
        cleaned = " ".join(text.split())
        candidates = [(cleaned, None), *_split_quantity(cleaned)]
        for name, quantity in candidates:
            item = self._by_key.get(match_key(name))
            if item:
                return OptionMatch(cleaned, item, quantity, "exact")
        for name, quantity in candidates:
            item = self._by_singular_key.get(singular_key(name))
            if item:
                return OptionMatch(cleaned, item, quantity, "plural")
        for name, quantity in candidates:
            item = self._match_label_words(name)
            if item:
                return OptionMatch(cleaned, item, quantity, "label_words")
        return OptionMatch(cleaned, None)

    def _match_label_words(self, text: str) -> CatalogItem | None:
        text_words = {_singular(word) for word in words(text)}
        best: list[CatalogItem] = []
        best_size = 0
        for item in self.items:
            label_words = {_singular(word) for word in words(item.label)}
            if not label_words or not label_words <= text_words:
                continue
            if len(label_words) > best_size:
                best, best_size = [item], len(label_words)
            elif len(label_words) == best_size:
                best.append(item)
        return best[0] if len(best) == 1 else None

    def event_type_for(self, text: str) -> str | None:
        """Return the catalog event type `text` names, ignoring case, accents,
        punctuation and a plural ending, or None if it names none."""
        key = singular_key(text)
        if not key:
            return None
        for event_type in self.event_types:
            if singular_key(event_type) == key:
                return event_type
        return None


def _split_quantity(text: str) -> list[tuple[str, int]]:
    splits = []
    for pattern in _QUANTITY_PATTERNS:
        found = pattern.match(text)
        if found:
            splits.append((found["name"].strip(), int(found["quantity"])))
    return splits


def _parse_item(raw: Any, number: int) -> CatalogItem:
    if not isinstance(raw, Mapping):
        raise CatalogError(
            f"catalog item #{number} must be a JSON object, got {json_type_name(raw)}"
        )
    raw_id = raw.get("id")
    where = f'catalog item "{raw_id}" (#{number})' if raw_id else f"catalog item #{number}"
    try:
        return _build_item(raw)
    except CatalogError as error:
        raise CatalogError(f"{where}: {error}") from None


def _build_item(raw: Mapping[str, Any]) -> CatalogItem:
    unit = raw.get("unit")
    if unit not in UNITS:
        raise CatalogError(f'"unit" must be one of {", ".join(UNITS)}, got {_show(unit)}')
    unit_price = _parse_decimal(raw.get("unit_price"), '"unit_price"')
    if unit_price < 0:
        raise CatalogError(f'"unit_price" must not be negative, got {unit_price}')
    vat_rate = _parse_decimal(raw.get("vat_rate"), '"vat_rate"')
    if not 0 <= vat_rate < 100:
        raise CatalogError(f'"vat_rate" must be a percentage from 0 to 100, got {vat_rate}')
    return CatalogItem(
        id=_required_text(raw, "id"),
        label=_required_text(raw, "label"),
        aliases=_parse_aliases(raw.get("aliases", [])),
        category=_required_text(raw, "category"),
        unit=unit,
        unit_price=_at_least_places(unit_price, _CENT),
        vat_rate=_at_least_places(vat_rate, _TENTH),
        min_guests=_parse_min_guests(raw.get("min_guests")),
    )


def _required_text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f'"{name}" must be a non-empty string, got {_show(value)}')
    return value.strip()


def _parse_aliases(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(alias, str) for alias in value):
        raise CatalogError(f'"aliases" must be a list of strings, got {_show(value)}')
    return tuple(alias.strip() for alias in value if alias.strip())


def _parse_min_guests(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CatalogError(f'"min_guests" must be a positive integer, got {_show(value)}')
    return value


def _parse_decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise CatalogError(f"{name} must be a decimal number, got {_show(value)}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise CatalogError(f"{name} must be a decimal number, got {_show(value)}") from None
    if not number.is_finite():
        raise CatalogError(f"{name} must be a finite number, got {_show(value)}")
    return number


def _at_least_places(number: Decimal, places: Decimal) -> Decimal:
    """Pad `number` to the given decimal places ("24" → "24.00") but never round it."""
    padded = number.quantize(places)
    return padded if padded == number else number


def _parse_event_types(value: Any) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(name, str) and name.strip() for name in value)
    ):
        raise CatalogError(f'"event_types" must be a list of names, got {_show(value)}')
    event_types = tuple(name.strip() for name in value)
    if FALLBACK_EVENT_TYPE not in event_types:
        raise CatalogError(
            f'"event_types" must include "{FALLBACK_EVENT_TYPE}", the type given to '
            "inquiries whose type is not listed"
        )
    return event_types


def _check_unique_ids(items: Iterable[CatalogItem]) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise CatalogError(f'two catalog items have the id "{item.id}"')
        seen.add(item.id)


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)
