"""Notion calls that set up and check the workspace (not the pipeline's page writes).

Same SDK, API version and retry policy as the pipeline's gateway, with the calls
`deme setup notion` and `deme doctor` need: pages, block children, databases, data sources.
"""

import re
import uuid
from typing import Any

from notion_client import AsyncClient

from backend.config import Settings
from backend.errors import ConfigurationError
from backend.integrations.google_credentials import EMULATOR_TOKEN
from backend.integrations.notion import NOTION_VERSION, classify_notion_error
from backend.integrations.retry import RetryPolicy, call_with_retry

_HEX_ID = re.compile(r"([0-9a-fA-F]{32}|[0-9a-fA-F-]{36})(?:[?#].*)?$")


def parse_page_id(value: str) -> str:
    """Return the dashed id of a page given by its URL or id; raises ConfigurationError."""
    match = _HEX_ID.search(value.strip().rstrip("/"))
    try:
        return str(uuid.UUID(match.group(1))) if match else str(uuid.UUID(value))
    except ValueError as exc:
        raise ConfigurationError(
            f"{value!r} is not a Notion page URL or id; copy the page's link in Notion "
            "(Share → Copy link) and pass it to --parent"
        ) from exc


class NotionAdmin:
    """A notion-client AsyncClient with deme's retry policy and error classification."""

    def __init__(self, settings: Settings, *, emulator_url: str | None = None) -> None:
        emulator_url = emulator_url or settings.emulator_url
        if settings.notion_token is None and emulator_url is None:
            raise ConfigurationError(
                "NOTION_TOKEN is not set; create an internal integration at "
                "https://www.notion.so/profile/integrations and put its secret in .env"
            )
        token = (
            settings.notion_token.get_secret_value() if settings.notion_token else EMULATOR_TOKEN
        )
        base_url = settings.notion_base_url if settings.notion_token else emulator_url
        options: dict[str, Any] = {
            "auth": token,
            "notion_version": NOTION_VERSION,
            "timeout_ms": int(settings.http_timeout_seconds * 1000),
            "retry": False,
        }
        if base_url:
            options["base_url"] = base_url.rstrip("/")
        self.client = AsyncClient(options=options)
        self._policy = RetryPolicy.from_settings(settings)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def call(self, operation: str, make_call: Any) -> Any:
        """Run `make_call()` (an SDK coroutine factory) with retries; raise ExternalServiceError."""

        def classify(exc: Exception) -> Any:
            error = classify_notion_error(exc)
            if error is not None:
                error.operation = operation
            return error

        return await call_with_retry(
            make_call, classify=classify, policy=self._policy, service="notion",
            operation=operation,
        )

    async def me(self) -> dict[str, Any]:
        return await self.call("users.me", lambda: self.client.users.me())

    async def page(self, page_id: str) -> dict[str, Any]:
        return await self.call("pages.retrieve", lambda: self.client.pages.retrieve(page_id))

    async def child_databases(self, page_id: str) -> dict[str, str]:
        """Return `{title: database id}` of the databases directly under a page."""
        found: dict[str, str] = {}
        cursor: str | None = None
        while True:
            arguments: dict[str, Any] = {"block_id": page_id, "page_size": 100}
            if cursor:
                arguments["start_cursor"] = cursor
            response = await self.call(
                "blocks.children.list",
                lambda arguments=arguments: self.client.blocks.children.list(**arguments),
            )
            for block in response["results"]:
                if block.get("type") == "child_database" and not block.get("in_trash"):
                    found.setdefault(block["child_database"]["title"], block["id"])
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return found

    async def database(self, database_id: str) -> dict[str, Any]:
        return await self.call(
            "databases.retrieve", lambda: self.client.databases.retrieve(database_id)
        )

    async def create_database(
        self, parent_page_id: str, title: str, properties: dict[str, Any]
    ) -> dict[str, Any]:
        body = {
            "parent": {"type": "page_id", "page_id": parent_page_id},
            "title": [{"type": "text", "text": {"content": title}}],
            "initial_data_source": {"properties": properties},
        }
        # NOTE: a create whose response is lost and then retried would make a second
        # database; running setup again reports both under the same title.
        return await self.call("databases.create", lambda: self.client.databases.create(**body))

    async def data_source(self, data_source_id: str) -> dict[str, Any]:
        return await self.call(
            "data_sources.retrieve", lambda: self.client.data_sources.retrieve(data_source_id)
        )
