"""First-use content of the emulator: deme's Notion data sources, quote template, calendar.

Ids are fixed, so settings, tests and a person can name them before the emulator runs.
"""

from typing import Any

import structlog

from backend.config import Settings
from backend.emulator.clock import iso_millis
from backend.emulator.notion_blocks import create_plain_page
from backend.emulator.notion_objects import build_schema, create_data_source, create_database
from backend.emulator.sheets_model import (
    FOLDER_MIME_TYPE,
    SPREADSHEET_MIME_TYPE,
    add_named_range,
    new_spreadsheet,
    resolve_range,
    write_values,
)
from backend.emulator.store import Store
from backend.integrations.workspace_schema import (
    DATA_SOURCES,
    QUOTE_LINE_COLUMNS,
    QUOTE_NAMED_RANGES,
    QUOTE_SHEET_TAB,
    DataSourceSchema,
)

log = structlog.get_logger(__name__)

BOOTSTRAP_VERSION = 1

CLIENTS_DATABASE_ID = "de3e0000-c11e-4000-8000-000000000001"
PRESTATIONS_DATABASE_ID = "de3e0000-c11e-4000-8000-000000000002"
QUOTE_LINES_DATABASE_ID = "de3e0000-c11e-4000-8000-000000000003"
CLIENTS_DATA_SOURCE_ID = "de3e0000-da7a-4000-8000-000000000001"
PRESTATIONS_DATA_SOURCE_ID = "de3e0000-da7a-4000-8000-000000000002"
QUOTE_LINES_DATA_SOURCE_ID = "de3e0000-da7a-4000-8000-000000000003"

# Keyed like workspace_schema.DATA_SOURCES.
DATABASE_IDS = {
    "clients": CLIENTS_DATABASE_ID,
    "prestations": PRESTATIONS_DATABASE_ID,
    "quote_lines": QUOTE_LINES_DATABASE_ID,
}
DATA_SOURCE_IDS = {
    "clients": CLIENTS_DATA_SOURCE_ID,
    "prestations": PRESTATIONS_DATA_SOURCE_ID,
    "quote_lines": QUOTE_LINES_DATA_SOURCE_ID,
}

# A page shared with the integration, where `deme setup notion --parent` creates databases.
SETUP_PARENT_PAGE_ID = "de3e0000-9a9e-4000-8000-000000000001"
SETUP_PARENT_PAGE_TITLE = "Traiteur – back office"

TEMPLATE_SPREADSHEET_ID = "1DemeDevisTemplate0000000000000000000000000A"
POOL_FOLDER_ID = "1DemeDevisPool00000000000000000000000000000F"
TEMPLATE_TITLE = "Modèle de devis"
PRIMARY_CALENDAR = "primary"


def bootstrap(store: Store, settings: Settings | None = None) -> bool:
    """Create the starting workspace in an empty store; return False if it was there."""
    settings = settings or Settings()
    with store.transaction():
        if store.get("meta", "bootstrap") is not None:
            return False
        _bootstrap_notion(store)
        create_plain_page(store, SETUP_PARENT_PAGE_TITLE, page_id=SETUP_PARENT_PAGE_ID)
        _bootstrap_drive(store, settings)
        _bootstrap_calendar(store, settings)
        store.put("gmail_mailbox", settings.business_email, {"email": settings.business_email})
        store.put("meta", "bootstrap", {"version": BOOTSTRAP_VERSION, "time": iso_millis()})
    log.info(
        "emulator.bootstrap.done",
        data_sources=list(DATA_SOURCE_IDS.values()),
        template_spreadsheet_id=TEMPLATE_SPREADSHEET_ID,
        mailbox=settings.business_email,
    )
    return True


def _property_spec(schema: DataSourceSchema) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for prop in schema.properties:
        details: dict[str, Any] = {}
        if prop.options:
            details["options"] = [{"name": name} for name in prop.options]
        if prop.relation_to:
            details = {"data_source_id": DATA_SOURCE_IDS[prop.relation_to], "single_property": {}}
        spec[prop.name] = {prop.type: details}
    return spec


def _bootstrap_notion(store: Store) -> None:
    # Relation targets first: Prestations relate to Clients, quote lines to Prestations.
    for key in ("clients", "prestations", "quote_lines"):
        schema = DATA_SOURCES[key]
        create_database(store, schema.title, DATABASE_IDS[key])
        properties = build_schema(store, _property_spec(schema))
        create_data_source(
            store, DATABASE_IDS[key], schema.title, properties, source_id=DATA_SOURCE_IDS[key]
        )


def template_cells(settings: Settings) -> dict[str, list[list[Any]]]:
    """Return the template's fixed text by A1 range (labels next to the named ranges)."""
    return {
        f"{QUOTE_SHEET_TAB}!A1": [["DEVIS"]],
        f"{QUOTE_SHEET_TAB}!A2:A3": [[settings.business_name], [settings.business_email]],
        f"{QUOTE_SHEET_TAB}!D3:D4": [["Référence"], ["Date du devis"]],
        f"{QUOTE_SHEET_TAB}!A5": [["Client"]],
        f"{QUOTE_SHEET_TAB}!D5": [["Prestation"]],
        f"{QUOTE_SHEET_TAB}!A6:A9": [["Nom"], ["Email"], ["Téléphone"], ["Adresse"]],
        f"{QUOTE_SHEET_TAB}!D6:D9": [["Événement"], ["Date"], ["Lieu"], ["Convives"]],
        f"{QUOTE_SHEET_TAB}!A11:E11": [list(QUOTE_LINE_COLUMNS)],
        f"{QUOTE_SHEET_TAB}!D42": [["Totaux"]],
    }


def _bootstrap_drive(store: Store, settings: Settings) -> None:
    stamp = iso_millis()
    folder = {
        "id": POOL_FOLDER_ID,
        "name": "deme – devis",
        "mimeType": FOLDER_MIME_TYPE,
        "parents": [],
        "createdTime": stamp,
        "modifiedTime": stamp,
    }
    store.put("drive_file", POOL_FOLDER_ID, folder)
    spreadsheet = new_spreadsheet(TEMPLATE_SPREADSHEET_ID, TEMPLATE_TITLE, [QUOTE_SHEET_TAB])
    for a1_range, values in template_cells(settings).items():
        sheet, bounds = resolve_range(spreadsheet, a1_range)
        write_values(sheet, bounds, values, user_entered=False, requested=a1_range)
    for name, a1_range in QUOTE_NAMED_RANGES.items():
        add_named_range(spreadsheet, name, a1_range)
    store.put("spreadsheet", TEMPLATE_SPREADSHEET_ID, spreadsheet)
    template = {
        "id": TEMPLATE_SPREADSHEET_ID,
        "name": TEMPLATE_TITLE,
        "mimeType": SPREADSHEET_MIME_TYPE,
        "parents": [POOL_FOLDER_ID],
        "createdTime": stamp,
        "modifiedTime": stamp,
    }
    store.put("drive_file", TEMPLATE_SPREADSHEET_ID, template, parent=POOL_FOLDER_ID)


def _bootstrap_calendar(store: Store, settings: Settings) -> None:
    calendar = {
        "id": settings.business_email,
        "summary": settings.business_name,
        "timeZone": settings.timezone,
    }
    store.put("calendar", settings.business_email, calendar)
    # "primary" is an alias of the business mailbox's calendar, as in Google Calendar.
    store.put("calendar", PRIMARY_CALENDAR, calendar)
