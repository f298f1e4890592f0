"""Compare a Notion data source with what deme writes to it, naming each difference and its fix.

Used by `deme setup notion` (an existing database is checked, not recreated), by
`deme doctor`, and by the runner to explain a Notion validation error in a run.
"""

from dataclasses import dataclass
from typing import Any

from backend.integrations.workspace_schema import DATA_SOURCES, DataSourceSchema, NotionProperty

# The setting that contains each data source's id.
DATA_SOURCE_SETTINGS = {
    "clients": "NOTION_CLIENTS_DATA_SOURCE_ID",
    "prestations": "NOTION_PRESTATIONS_DATA_SOURCE_ID",
    "quote_lines": "NOTION_QUOTE_LINES_DATA_SOURCE_ID",
}


@dataclass(frozen=True)
class SchemaProblem:
    """A property deme writes that the data source lacks, or has with another type."""

    data_source: str  # the data source's title in deme's schema
    property: str
    kind: str  # missing, renamed, retyped or relation
    message: str


def property_spec(prop: NotionProperty, data_source_ids: dict[str, str]) -> dict[str, Any]:
    """Return the Notion schema request for one property (API version 2025-09-03)."""
    details: dict[str, Any] = {}
    if prop.options:
        details["options"] = [{"name": name} for name in prop.options]
    if prop.type == "number":
        details["format"] = "number"
    if prop.relation_to:
        details = {"data_source_id": data_source_ids[prop.relation_to], "type": "dual_property"}
        details["dual_property"] = {"synced_property_name": _reverse_name(prop)}
    return {prop.type: details}


# The property Notion adds on the other side of each two-way relation, by target.
REVERSE_RELATION_NAMES = {"clients": "Prestations", "prestations": "Lignes de devis"}


def _reverse_name(prop: NotionProperty) -> str:
    return REVERSE_RELATION_NAMES.get(prop.relation_to or "", "Lié")


def schema_spec(schema: DataSourceSchema, data_source_ids: dict[str, str]) -> dict[str, Any]:
    return {prop.name: property_spec(prop, data_source_ids) for prop in schema.properties}


def compare_schema(
    schema: DataSourceSchema,
    actual: dict[str, Any],
    data_source_ids: dict[str, str] | None = None,
) -> list[SchemaProblem]:
    """List the properties of `schema` that `actual` (a retrieved data source) gets wrong.

    A property of the caterer's own that deme does not write is fine. A missing property
    next to an unknown one of the same type is reported as renamed.
    """
    properties: dict[str, Any] = actual.get("properties", {})
    expected_names = {prop.name for prop in schema.properties}
    extra_by_type: dict[str, list[str]] = {}
    for name, prop in properties.items():
        if name not in expected_names and name not in REVERSE_RELATION_NAMES.values():
            extra_by_type.setdefault(prop.get("type", ""), []).append(name)

    problems = []
    for prop in schema.properties:
        found = properties.get(prop.name)
        if found is None:
            problems.append(_missing(schema, prop, extra_by_type.get(prop.type, [])))
        elif found.get("type") != prop.type:
            problems.append(
                SchemaProblem(
                    schema.title,
                    prop.name,
                    "retyped",
                    f"Notion property '{prop.name}' in data source {schema.title} is "
                    f"{found.get('type')}; deme writes a {prop.type} property: change its "
                    f"type back to {prop.type} in Notion",
                )
            )
        elif prop.relation_to and data_source_ids:
            problems.extend(_relation_problem(schema, prop, found, data_source_ids))
    return problems


def _missing(
    schema: DataSourceSchema, prop: NotionProperty, candidates: list[str]
) -> SchemaProblem:
    if candidates:
        names = ", ".join(f"'{name}'" for name in candidates)
        return SchemaProblem(
            schema.title,
            prop.name,
            "renamed",
            f"Notion property '{prop.name}' in data source {schema.title} is missing; it "
            f"looks renamed to {names} ({prop.type}): rename it back to '{prop.name}' in Notion",
        )
    return SchemaProblem(
        schema.title,
        prop.name,
        "missing",
        f"Notion property '{prop.name}' in data source {schema.title} is missing; add a "
        f"{prop.type} property named '{prop.name}', or run `deme setup notion` again",
    )


def _relation_problem(
    schema: DataSourceSchema,
    prop: NotionProperty,
    found: dict[str, Any],
    data_source_ids: dict[str, str],
) -> list[SchemaProblem]:
    target = (found.get("relation") or {}).get("data_source_id")
    expected = data_source_ids.get(prop.relation_to or "")
    if not expected or target == expected:
        return []
    title = DATA_SOURCES[prop.relation_to or ""].title
    return [
        SchemaProblem(
            schema.title,
            prop.name,
            "relation",
            f"Notion property '{prop.name}' in data source {schema.title} relates to data "
            f"source {target}; deme expects {title} ({expected}): point the relation at "
            f"{title}, or set {DATA_SOURCE_SETTINGS[prop.relation_to or '']}",
        )
    ]
