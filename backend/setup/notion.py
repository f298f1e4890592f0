"""`deme setup notion`: create (or check) the Clients, Prestations and quote lines databases.

Databases are created under a page the caterer shared with the integration, in the
order relations need (Clients, then Prestations, then quote lines). A database already
under that page with the same title is kept and its schema checked, so running setup
twice creates nothing twice.
"""

from dataclasses import dataclass, field

import structlog

from backend.errors import ConfigurationError, ExternalServiceError
from backend.integrations.workspace_schema import DATA_SOURCES
from backend.setup.notion_admin import NotionAdmin, parse_page_id
from backend.setup.notion_schema import (
    DATA_SOURCE_SETTINGS,
    SchemaProblem,
    compare_schema,
    schema_spec,
)

log = structlog.get_logger(__name__)

SETUP_ORDER = ("clients", "prestations", "quote_lines")


@dataclass
class DatabaseOutcome:
    """One database after setup: created now or found, and its data source."""

    key: str
    title: str
    database_id: str
    data_source_id: str
    created: bool
    problems: list[SchemaProblem] = field(default_factory=list)


@dataclass
class NotionSetup:
    """Outcome of `deme setup notion`: each database, and the settings to keep."""

    parent_page_id: str
    databases: list[DatabaseOutcome]

    @property
    def settings(self) -> dict[str, str]:
        return {
            DATA_SOURCE_SETTINGS[item.key]: item.data_source_id for item in self.databases
        }

    @property
    def problems(self) -> list[SchemaProblem]:
        return [problem for item in self.databases for problem in item.problems]


async def setup_notion(admin: NotionAdmin, parent: str) -> NotionSetup:
    """Create or check deme's three databases under the page `parent` (URL or id)."""
    parent_page_id = parse_page_id(parent)
    await _check_parent(admin, parent_page_id)
    existing = await admin.child_databases(parent_page_id)

    data_source_ids: dict[str, str] = {}
    outcomes = []
    for key in SETUP_ORDER:
        schema = DATA_SOURCES[key]
        database_id = existing.get(schema.title)
        if database_id is None:
            created = await admin.create_database(
                parent_page_id, schema.title, schema_spec(schema, data_source_ids)
            )
            database_id, created_now = created["id"], True
            log.info("setup.notion.created", database=schema.title, database_id=database_id)
        else:
            created_now = False
        database = await admin.database(database_id)
        source_id = _single_data_source(database, schema.title)
        data_source_ids[key] = source_id
        outcomes.append(DatabaseOutcome(key, schema.title, database_id, source_id, created_now))

    for outcome in outcomes:
        if not outcome.created:
            source = await admin.data_source(outcome.data_source_id)
            outcome.problems = compare_schema(
                DATA_SOURCES[outcome.key], source, data_source_ids
            )
    return NotionSetup(parent_page_id, outcomes)


async def _check_parent(admin: NotionAdmin, page_id: str) -> None:
    try:
        await admin.page(page_id)
    except ExternalServiceError as exc:
        if exc.status == 404:
            raise ConfigurationError(
                f"Notion page {page_id} is not shared with the integration: open it in "
                "Notion, choose ••• → Connections, add your integration, then run "
                "`deme setup notion` again"
            ) from exc
        if exc.status == 401:
            raise ConfigurationError(
                "Notion rejected NOTION_TOKEN (401 unauthorized); copy the integration's "
                "secret again from https://www.notion.so/profile/integrations"
            ) from exc
        raise


def _single_data_source(database: dict, title: str) -> str:
    sources = database.get("data_sources") or []
    if len(sources) != 1:
        raise ConfigurationError(
            f"Notion database {title} ({database['id']}) has {len(sources)} data sources; "
            "deme writes to one: remove the extra ones, or set "
            "the NOTION_*_DATA_SOURCE_ID settings to the one to use"
        )
    return sources[0]["id"]
