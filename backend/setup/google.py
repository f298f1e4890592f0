"""`deme setup google`: the pool folder, the quote template spreadsheet, then a full pool.

Each part is found before it is created (by setting, then by name in Drive), so running
setup twice creates nothing twice. Nothing is shared: deme never creates a Drive
permission, so the template and its copies are visible only to the account deme uses.
"""

from dataclasses import dataclass, field
from typing import Any

import structlog

from backend.config import Settings
from backend.db.session import Database
from backend.errors import ConfigurationError, ExternalServiceError
from backend.integrations.google import GoogleGateway
from backend.integrations.google_credentials import load_google_credentials
from backend.integrations.retry import RetryPolicy
from backend.integrations.workspace_schema import QUOTE_NAMED_RANGES
from backend.setup.pool import RefillOutcome, TemplateSource, refill
from backend.setup.quote_template import (
    POOL_FOLDER_NAME,
    TEMPLATE_NAME,
    grid_range,
    template_requests,
    template_values,
)

log = structlog.get_logger(__name__)

FOLDER_MIME_TYPE = "application/vnd.google-apps.folder"
SPREADSHEET_MIME_TYPE = "application/vnd.google-apps.spreadsheet"


@dataclass
class GoogleSetup:
    """Outcome of `deme setup google`: folder, template, pool, and the settings to keep."""

    folder_id: str
    folder_created: bool
    template_spreadsheet_id: str
    template_url: str
    template_created: bool
    named_ranges_added: list[str] = field(default_factory=list)
    pool: RefillOutcome | None = None

    @property
    def settings(self) -> dict[str, str]:
        return {
            "GOOGLE_TEMPLATE_SPREADSHEET_ID": self.template_spreadsheet_id,
            "GOOGLE_POOL_FOLDER_ID": self.folder_id,
        }


def open_google_gateway(settings: Settings, *, emulator_url: str | None = None) -> GoogleGateway:
    """Build a gateway from the settings (the emulator's when no credentials are set)."""
    emulator_url = emulator_url or settings.emulator_url
    if settings.uses_google_emulator and not emulator_url:
        raise ConfigurationError(
            "no Google credentials are set and no emulator is running; set "
            "GOOGLE_CREDENTIALS_FILE, or EMULATOR_URL to rehearse against `deme emulator`"
        )
    base_url = emulator_url if settings.uses_google_emulator else settings.google_base_url
    return GoogleGateway(
        credentials=load_google_credentials(settings),
        base_url=base_url,
        timeout_seconds=settings.http_timeout_seconds,
        policy=RetryPolicy.from_settings(settings),
    )


async def _call(google: GoogleGateway, service: str, operation: str, request: Any) -> dict:
    # The gateway's retry and error mapping, for calls only setup and doctor make.
    return await google._execute(service, operation, request)  # noqa: SLF001


async def _find(google: GoogleGateway, query: str) -> dict[str, Any] | None:
    response = await _call(
        google,
        "drive",
        "files.list",
        lambda api: api.files().list(
            q=query, fields="files(id,name,webViewLink)", supportsAllDrives=True,
            includeItemsFromAllDrives=True, pageSize=10,
        ),
    )
    files = response.get("files", [])
    return files[0] if files else None


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


async def ensure_folder(google: GoogleGateway, folder_id: str | None) -> tuple[str, bool]:
    """Return the pool folder's id and whether it was created now."""
    if folder_id:
        try:
            await google.get_file(folder_id)
        except ExternalServiceError as exc:
            raise ConfigurationError(
                f"GOOGLE_POOL_FOLDER_ID {folder_id} cannot be opened ({exc}); share the "
                "folder with deme's Google account, or unset it to let setup create one"
            ) from exc
        return folder_id, False
    query = (
        f"name = '{_quoted(POOL_FOLDER_NAME)}' and mimeType = '{FOLDER_MIME_TYPE}' "
        "and trashed = false"
    )
    found = await _find(google, query)
    if found:
        return found["id"], False
    body = {"name": POOL_FOLDER_NAME, "mimeType": FOLDER_MIME_TYPE}
    created = await _call(
        google,
        "drive",
        "files.create",
        lambda api: api.files().create(body=body, fields="id,name", supportsAllDrives=True),
    )
    log.info("setup.google.folder_created", folder_id=created["id"])
    return created["id"], True


async def ensure_template(
    google: GoogleGateway, settings: Settings, folder_id: str
) -> tuple[str, str, bool, list[str]]:
    """Return the template's id, URL, whether it was created, and the named ranges added."""
    template_id = settings.google_template_spreadsheet_id
    if not template_id:
        query = (
            f"name = '{_quoted(TEMPLATE_NAME)}' and '{folder_id}' in parents "
            f"and mimeType = '{SPREADSHEET_MIME_TYPE}' and trashed = false"
        )
        found = await _find(google, query)
        template_id = found["id"] if found else None
    if template_id:
        added = await _add_missing_named_ranges(google, template_id)
        file = await google.get_file(template_id)
        return template_id, file.get("webViewLink", ""), False, added

    body = {"name": TEMPLATE_NAME, "mimeType": SPREADSHEET_MIME_TYPE, "parents": [folder_id]}
    created = await _call(
        google,
        "drive",
        "files.create",
        lambda api: api.files().create(
            body=body, fields="id,name,webViewLink", supportsAllDrives=True
        ),
    )
    template_id = created["id"]
    requests = template_requests(TEMPLATE_NAME)
    await _call(
        google,
        "sheets",
        "spreadsheets.batchUpdate",
        lambda api: api.spreadsheets().batchUpdate(
            spreadsheetId=template_id, body={"requests": requests}
        ),
    )
    await google.write_ranges(
        template_id, template_values(settings.business_name, settings.business_email)
    )
    log.info("setup.google.template_created", spreadsheet_id=template_id)
    return template_id, created.get("webViewLink", ""), True, list(QUOTE_NAMED_RANGES)


async def _add_missing_named_ranges(google: GoogleGateway, template_id: str) -> list[str]:
    try:
        spreadsheet = await google.get_spreadsheet(template_id)
    except ExternalServiceError as exc:
        raise ConfigurationError(
            f"GOOGLE_TEMPLATE_SPREADSHEET_ID {template_id} cannot be opened ({exc}); share it "
            "with deme's Google account, or unset it to let setup create a template"
        ) from exc
    present = {item["name"] for item in spreadsheet.get("namedRanges", [])}
    missing = [name for name in QUOTE_NAMED_RANGES if name not in present]
    if not missing:
        return []
    requests = [
        {"addNamedRange": {"namedRange": {"name": name, "range": grid_range(range_a1)}}}
        for name, range_a1 in QUOTE_NAMED_RANGES.items()
        if name in missing
    ]
    await _call(
        google,
        "sheets",
        "spreadsheets.batchUpdate",
        lambda api: api.spreadsheets().batchUpdate(
            spreadsheetId=template_id, body={"requests": requests}
        ),
    )
    return missing


async def setup_google(
    google: GoogleGateway, settings: Settings, db: Database, *, fill_pool: bool = True
) -> GoogleSetup:
    """Create or check the pool folder and the template, then fill the pool to its target."""
    folder_id, folder_created = await ensure_folder(google, settings.google_pool_folder_id)
    template_id, url, created, added = await ensure_template(google, settings, folder_id)
    outcome = GoogleSetup(folder_id, folder_created, template_id, url, created, added)
    if fill_pool:
        source = TemplateSource(google, template_id, folder_id)
        outcome.pool = await refill(source, db, target=settings.template_pool_target)
    return outcome
