"""Notion query filters and sorts, compiled into Python predicates and sort keys."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from backend.emulator.errors import validation_error
from backend.emulator.notion_values import (
    TEXT_TYPES,
    find_property,
    normalize_id,
    parse_date,
    plain_text,
)

Page = dict[str, Any]
Predicate = Callable[[Page], bool]

TEXT_OPERATORS = (
    "equals",
    "does_not_equal",
    "contains",
    "does_not_contain",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
)
NUMBER_OPERATORS = (
    "equals",
    "does_not_equal",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
    "is_empty",
    "is_not_empty",
)
DATE_OPERATORS = (
    "equals",
    "before",
    "after",
    "on_or_before",
    "on_or_after",
    "is_empty",
    "is_not_empty",
)
OPERATORS = {
    "title": TEXT_OPERATORS,
    "rich_text": TEXT_OPERATORS,
    "email": TEXT_OPERATORS,
    "phone_number": TEXT_OPERATORS,
    "url": TEXT_OPERATORS,
    "number": NUMBER_OPERATORS,
    "date": DATE_OPERATORS,
    "select": ("equals", "does_not_equal", "is_empty", "is_not_empty"),
    "multi_select": ("contains", "does_not_contain", "is_empty", "is_not_empty"),
    "relation": ("contains", "does_not_contain", "is_empty", "is_not_empty"),
    "checkbox": ("equals", "does_not_equal"),
}
TIMESTAMPS = ("created_time", "last_edited_time")


def compile_filter(spec: Any, properties: dict[str, dict[str, Any]]) -> Predicate:
    """Compile a `filter` body into a predicate on stored pages; raise validation_error."""
    if spec is None or spec == {}:
        return lambda page: True
    if not isinstance(spec, dict):
        raise validation_error(f"body.filter should be an object, instead was {spec!r}.")
    for compound in ("and", "or"):
        if compound in spec:
            parts = spec[compound]
            if not isinstance(parts, list):
                raise validation_error(f"body.filter.{compound} should be an array.")
            predicates = [compile_filter(part, properties) for part in parts]
            if compound == "and":
                return lambda page: all(predicate(page) for predicate in predicates)
            return lambda page: any(predicate(page) for predicate in predicates)
    if "timestamp" in spec:
        return _compile_timestamp(spec)
    if "property" not in spec:
        raise validation_error(
            "body.filter should have a property, a timestamp, an and or an or key, "
            f"instead was {sorted(spec)}."
        )
    found = find_property(properties, str(spec["property"]))
    if found is None:
        raise validation_error(f"Could not find property with name or id: {spec['property']}")
    pid, prop = found
    type_ = prop["type"]
    keys = [key for key in spec if key != "property"]
    if len(keys) != 1:
        raise validation_error(
            f"body.filter for {prop['name']} should have exactly one condition, instead had {keys}."
        )
    key = keys[0]
    same_family = key in TEXT_TYPES and type_ in TEXT_TYPES
    if key != type_ and not same_family:
        raise validation_error(
            f"The {key} filter cannot be used on {prop['name']}, a {type_} property."
        )
    operator, operand = _single_operator(spec[key], OPERATORS[type_], prop["name"])

    def value_of(page: Page) -> Any:
        return page["properties"].get(pid)

    return _compile_condition(type_, prop, operator, operand, value_of)


def _single_operator(condition: Any, allowed: tuple[str, ...], name: str) -> tuple[str, Any]:
    if not isinstance(condition, dict) or len(condition) != 1:
        raise validation_error(
            f"body.filter condition on {name} should be an object with one operator "
            f"of {', '.join(allowed)}."
        )
    operator, operand = next(iter(condition.items()))
    if operator not in allowed:
        raise validation_error(
            f"body.filter operator {operator} is not supported on {name}; "
            f"use one of {', '.join(allowed)}."
        )
    if operator in ("is_empty", "is_not_empty") and operand is not True:
        raise validation_error(f"body.filter.{operator} on {name} should be `true`.")
    return operator, operand


def _compile_condition(
    type_: str, prop: dict[str, Any], operator: str, operand: Any, value_of: Callable[[Page], Any]
) -> Predicate:
    name = prop["name"]
    if operator == "is_empty":
        return lambda page: _is_empty(prop, value_of(page))
    if operator == "is_not_empty":
        return lambda page: not _is_empty(prop, value_of(page))
    if OPERATORS[type_] is TEXT_OPERATORS:
        if not isinstance(operand, str):
            raise validation_error(f"body.filter.{operator} on {name} should be a string.")
        return _text_predicate(prop, operator, operand, value_of)
    if type_ == "number":
        if isinstance(operand, bool) or not isinstance(operand, int | float):
            raise validation_error(f"body.filter.{operator} on {name} should be a number.")
        return _number_predicate(operator, operand, value_of)
    if type_ == "date":
        return _date_predicate(operator, operand, name, lambda page: _date_start(value_of(page)))
    if type_ == "select":
        if not isinstance(operand, str):
            raise validation_error(f"body.filter.{operator} on {name} should be a string.")

        def select_name(page: Page) -> str | None:
            value = value_of(page)
            return value["name"] if value else None

        if operator == "equals":
            return lambda page: select_name(page) == operand
        return lambda page: select_name(page) != operand
    if type_ == "multi_select":

        def names(page: Page) -> list[str]:
            return [item["name"] for item in value_of(page) or []]

        if operator == "contains":
            return lambda page: operand in names(page)
        return lambda page: operand not in names(page)
    if type_ == "relation":
        target = normalize_id(operand)
        if target is None:
            raise validation_error(f"body.filter.{operator} on {name} should be a page id.")
        if operator == "contains":
            return lambda page: target in (value_of(page) or [])
        return lambda page: target not in (value_of(page) or [])
    if type_ == "checkbox":
        if not isinstance(operand, bool):
            raise validation_error(f"body.filter.{operator} on {name} should be a boolean.")
        if operator == "equals":
            return lambda page: bool(value_of(page)) == operand
        return lambda page: bool(value_of(page)) != operand
    raise validation_error(f"Filtering on {name} ({type_}) is not supported by the emulator.")


def _is_empty(prop: dict[str, Any], value: Any) -> bool:
    if prop["type"] == "checkbox":
        return not value
    if prop["type"] == "number":
        return value is None
    if prop["type"] in TEXT_TYPES or prop["type"] in ("email", "phone_number", "url"):
        return plain_text(prop, value) is None
    return value in (None, [], "")


def _text_predicate(
    prop: dict[str, Any], operator: str, operand: str, value_of: Callable[[Page], Any]
) -> Predicate:
    # NOTE: the emulator compares `equals` case-sensitively and `contains`, `starts_with`
    # and `ends_with` case-insensitively; Notion does not document its case rules.
    def text(page: Page) -> str:
        return plain_text(prop, value_of(page)) or ""

    folded = operand.casefold()
    tests: dict[str, Predicate] = {
        "equals": lambda page: text(page) == operand,
        "does_not_equal": lambda page: text(page) != operand,
        "contains": lambda page: folded in text(page).casefold(),
        "does_not_contain": lambda page: folded not in text(page).casefold(),
        "starts_with": lambda page: text(page).casefold().startswith(folded),
        "ends_with": lambda page: text(page).casefold().endswith(folded),
    }
    return tests[operator]


def _number_predicate(operator: str, operand: float, value_of: Callable[[Page], Any]) -> Predicate:
    comparisons: dict[str, Callable[[float], bool]] = {
        "equals": lambda value: value == operand,
        "does_not_equal": lambda value: value != operand,
        "greater_than": lambda value: value > operand,
        "less_than": lambda value: value < operand,
        "greater_than_or_equal_to": lambda value: value >= operand,
        "less_than_or_equal_to": lambda value: value <= operand,
    }
    compare = comparisons[operator]

    def predicate(page: Page) -> bool:
        value = value_of(page)
        if value is None:
            return operator == "does_not_equal"
        return compare(value)

    return predicate


def _date_start(value: Any) -> tuple[str, str | None] | None:
    if not value:
        return None
    return value["start"], value.get("time_zone")


def _as_utc(text: str, time_zone: str | None) -> datetime:
    parsed = parse_date(text)
    if not isinstance(parsed, datetime):
        parsed = datetime(parsed.year, parsed.month, parsed.day)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(time_zone) if time_zone else UTC)
    return parsed.astimezone(UTC)


def _date_predicate(
    operator: str,
    operand: Any,
    name: str,
    start_of: Callable[[Page], tuple[str, str | None] | None],
) -> Predicate:
    try:
        if not isinstance(operand, str):
            raise ValueError(operand)
        target = parse_date(operand)
    except ValueError as error:
        raise validation_error(
            f"body.filter.{operator} on {name} should be an ISO 8601 date, instead was {operand!r}."
        ) from error
    day_only = not isinstance(target, datetime)

    def key(page: Page) -> date | datetime | None:
        start = start_of(page)
        if start is None:
            return None
        moment = _as_utc(*start)
        if day_only:
            # Compare calendar days as written on the page (its own time zone).
            return parse_date(start[0][:10])
        return moment

    reference: date | datetime = target if day_only else _as_utc(operand, None)
    comparisons: dict[str, Callable[[Any], bool]] = {
        "equals": lambda value: value == reference,
        "before": lambda value: value < reference,
        "after": lambda value: value > reference,
        "on_or_before": lambda value: value <= reference,
        "on_or_after": lambda value: value >= reference,
    }
    compare = comparisons[operator]

    def predicate(page: Page) -> bool:
        value = key(page)
        return value is not None and compare(value)

    return predicate


def _compile_timestamp(spec: dict[str, Any]) -> Predicate:
    timestamp = spec["timestamp"]
    if timestamp not in TIMESTAMPS or not isinstance(spec.get(timestamp), dict):
        raise validation_error(
            f"body.filter.timestamp should be one of {', '.join(TIMESTAMPS)} with a matching "
            "condition object."
        )
    allowed = tuple(op for op in DATE_OPERATORS if not op.startswith("is_"))
    operator, operand = _single_operator(spec[timestamp], allowed, timestamp)
    return _date_predicate(operator, operand, timestamp, lambda page: (page[timestamp], None))


def sort_pages(pages: list[Page], sorts: Any, properties: dict[str, dict[str, Any]]) -> list[Page]:
    """Sort stored pages by a `sorts` body; pages without a value go last."""
    if sorts is None:
        return pages
    if not isinstance(sorts, list):
        raise validation_error("body.sorts should be an array.")
    ordered = list(pages)
    for spec in reversed(sorts):
        if not isinstance(spec, dict):
            raise validation_error("body.sorts items should be objects.")
        direction = spec.get("direction", "ascending")
        if direction not in ("ascending", "descending"):
            raise validation_error(
                f"body.sorts direction should be ascending or descending, instead was "
                f"{direction!r}."
            )
        key = _sort_key(spec, properties)
        present = [page for page in ordered if key(page) is not None]
        missing = [page for page in ordered if key(page) is None]
        present.sort(key=key, reverse=direction == "descending")
        ordered = present + missing
    return ordered


def _sort_key(spec: dict[str, Any], properties: dict[str, dict[str, Any]]) -> Callable[[Page], Any]:
    if "timestamp" in spec:
        if spec["timestamp"] not in TIMESTAMPS:
            raise validation_error(
                f"body.sorts timestamp should be one of {', '.join(TIMESTAMPS)}."
            )
        return lambda page: page[spec["timestamp"]]
    found = find_property(properties, str(spec.get("property")))
    if found is None:
        raise validation_error(
            f"Could not find sort property with name or id: {spec.get('property')}"
        )
    pid, prop = found
    type_ = prop["type"]

    def key(page: Page) -> Any:
        value = page["properties"].get(pid)
        if type_ == "number":
            return value
        if type_ == "date":
            return _as_utc(*_date_start(value)) if value else None
        if type_ == "checkbox":
            return bool(value)
        if type_ == "multi_select":
            text = ",".join(item["name"] for item in value or [])
        elif type_ == "relation":
            text = ",".join(value or [])
        else:
            text = plain_text(prop, value) or ""
        return text.casefold() or None

    return key
