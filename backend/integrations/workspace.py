"""The caterer's workspace: gateways plus the ids of what deme writes to.

Real services are used when their credentials are set; otherwise the gateways point at the
local emulator, whose bootstrap creates the data sources and template with fixed ids.
"""

from dataclasses import dataclass

from backend.config import Settings
from backend.errors import ConfigurationError
from backend.integrations.google import GoogleGateway
from backend.integrations.google_credentials import EMULATOR_TOKEN, load_google_credentials
from backend.integrations.notion import NotionGateway
from backend.integrations.rate_limit import RateLimiter
from backend.integrations.retry import RetryPolicy


@dataclass
class Workspace:
    """Gateways and resource ids one run needs; built once per process."""

    notion: NotionGateway
    google: GoogleGateway
    clients_data_source_id: str
    prestations_data_source_id: str
    quote_lines_data_source_id: str
    template_spreadsheet_id: str
    calendar_id: str
    pool_folder_id: str | None
    business_name: str
    business_email: str
    timezone: str

    async def aclose(self) -> None:
        await self.notion.aclose()


def _required(value: str | None, setting: str, fallback: str | None) -> str:
    if value:
        return value
    if fallback:
        return fallback
    raise ConfigurationError(
        f"{setting} is not set; run `deme setup` against your workspace or set it in .env"
    )


def open_workspace(
    settings: Settings, *, emulator_url: str | None, limiter: RateLimiter | None = None
) -> Workspace:
    """Build the gateways; `emulator_url` serves whichever service has no credentials.

    `limiter` paces every request of both gateways (None: no limit).
    """
    from backend.emulator import bootstrap  # the emulator's fixed ids, imported lazily

    policy = RetryPolicy.from_settings(settings)
    notion_emulated = settings.uses_notion_emulator
    google_emulated = settings.uses_google_emulator
    if (notion_emulated or google_emulated) and not emulator_url:
        raise ConfigurationError(
            "no Notion token or Google credentials are set and no emulator is running; "
            "set NOTION_TOKEN and GOOGLE_CREDENTIALS_FILE, or EMULATOR_URL"
        )

    notion_token = EMULATOR_TOKEN if notion_emulated else settings.notion_token.get_secret_value()
    notion = NotionGateway(
        token=notion_token,
        base_url=emulator_url if notion_emulated else settings.notion_base_url,
        timeout_seconds=settings.http_timeout_seconds,
        policy=policy,
        limiter=limiter,
    )
    google = GoogleGateway(
        credentials=load_google_credentials(settings),
        base_url=emulator_url if google_emulated else settings.google_base_url,
        timeout_seconds=settings.http_timeout_seconds,
        policy=policy,
        limiter=limiter,
    )

    def notion_default(value: str) -> str | None:
        return value if notion_emulated else None

    return Workspace(
        notion=notion,
        google=google,
        clients_data_source_id=_required(
            settings.notion_clients_data_source_id,
            "NOTION_CLIENTS_DATA_SOURCE_ID",
            notion_default(bootstrap.CLIENTS_DATA_SOURCE_ID),
        ),
        prestations_data_source_id=_required(
            settings.notion_prestations_data_source_id,
            "NOTION_PRESTATIONS_DATA_SOURCE_ID",
            notion_default(bootstrap.PRESTATIONS_DATA_SOURCE_ID),
        ),
        quote_lines_data_source_id=_required(
            settings.notion_quote_lines_data_source_id,
            "NOTION_QUOTE_LINES_DATA_SOURCE_ID",
            notion_default(bootstrap.QUOTE_LINES_DATA_SOURCE_ID),
        ),
        template_spreadsheet_id=_required(
            settings.google_template_spreadsheet_id,
            "GOOGLE_TEMPLATE_SPREADSHEET_ID",
            bootstrap.TEMPLATE_SPREADSHEET_ID if google_emulated else None,
        ),
        calendar_id=settings.google_calendar_id,
        pool_folder_id=settings.google_pool_folder_id,
        business_name=settings.business_name,
        business_email=settings.business_email,
        timezone=settings.timezone,
    )
