"""Notion gateway: the few data-source and page calls deme makes, through notion-client.

The SDK's own retries are switched off so that one policy (`retry.py`) covers every
service, including Notion's 529 `service_overload` and timeouts, which notion-client
3.1.0 does not retry.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import structlog
from notion_client import AsyncClient
from notion_client.errors import APIResponseError, HTTPResponseError, RequestTimeoutError

from backend.errors import ExternalServiceError
from backend.integrations.rate_limit import RateLimiter, UnlimitedRateLimiter
from backend.integrations.retry import (
    RetryPolicy,
    call_with_retry,
    create_once,
    parse_retry_after,
)

log = structlog.get_logger(__name__)

NOTION_VERSION = "2025-09-03"
RETRYABLE_STATUSES = frozenset({409, 429, 500, 502, 503, 504, 529})


def classify_notion_error(exc: Exception) -> ExternalServiceError | None:
    """Map a notion-client or transport exception to an `ExternalServiceError`."""
    if isinstance(exc, HTTPResponseError):
        code = exc.code.value if hasattr(exc.code, "value") else str(exc.code)
        message = str(exc) or exc.body[:300]
        return ExternalServiceError(
            service="notion",
            operation="",
            message=message,
            status=exc.status,
            code=code,
            retryable=exc.status in RETRYABLE_STATUSES,
            retry_after=parse_retry_after(exc.headers.get("retry-after")),
        )
    if isinstance(exc, RequestTimeoutError | httpx.TimeoutException):
        return ExternalServiceError(
            service="notion", operation="", message="request timed out", retryable=True
        )
    if isinstance(exc, httpx.TransportError):
        return ExternalServiceError(
            service="notion", operation="", message=f"connection failed: {exc}", retryable=True
        )
    return None


class NotionGateway:
    """Pages and data sources in one Notion workspace, with retries."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str | None,
        timeout_seconds: float,
        policy: RetryPolicy,
        limiter: RateLimiter | None = None,
    ) -> None:
        options: dict[str, Any] = {
            "auth": token,
            "timeout_ms": int(timeout_seconds * 1000),
            "notion_version": NOTION_VERSION,
            "retry": False,
        }
        if base_url:
            options["base_url"] = base_url.rstrip("/")
        self._client = AsyncClient(options=options)
        self._policy = policy
        self._limiter = limiter or UnlimitedRateLimiter()

    async def aclose(self) -> None:
        await self._client.aclose()

    @staticmethod
    def _classifier(operation: str) -> Callable[[Exception], ExternalServiceError | None]:
        def classify(exc: Exception) -> ExternalServiceError | None:
            error = classify_notion_error(exc)
            if error is not None:
                error.operation = operation
            return error

        return classify

    async def _call(self, operation: str, call: Any) -> Any:
        async def limited_call() -> Any:
            await self._limiter.acquire("notion")
            return await call()

        return await call_with_retry(
            limited_call,
            classify=self._classifier(operation),
            policy=self._policy,
            service="notion",
            operation=operation,
        )

    async def query(
        self, data_source_id: str, *, filter: dict[str, Any] | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Return pages of a data source matching `filter`, following pagination."""
        pages: list[dict[str, Any]] = []
        cursor: str | None = None
        while len(pages) < limit:
            body: dict[str, Any] = {"page_size": min(100, limit - len(pages))}
            if filter:
                body["filter"] = filter
            if cursor:
                body["start_cursor"] = cursor
            response = await self._call(
                "data_sources.query",
                lambda body=body: self._client.data_sources.query(data_source_id, **body),
            )
            pages.extend(response["results"])
            if not response.get("has_more"):
                break
            cursor = response.get("next_cursor")
        return pages

    async def find_one(self, data_source_id: str, filter: dict[str, Any]) -> dict[str, Any] | None:
        """Return the oldest page matching `filter`, or None."""
        pages = await self.query(data_source_id, filter=filter, limit=100)
        if not pages:
            return None
        return min(pages, key=lambda page: page.get("created_time", ""))

    async def create_page_once(
        self,
        data_source_id: str,
        properties: dict[str, Any],
        *,
        find: Callable[[], Awaitable[dict[str, Any] | None]],
        known_absent: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """Create a page unless `find()` returns one; return it and whether it is new.

        Notion has no idempotency key, so after a failed create (which may have been
        applied) `find()` runs again before the next attempt.
        """
        parent = {"type": "data_source_id", "data_source_id": data_source_id}

        async def create() -> dict[str, Any]:
            await self._limiter.acquire("notion")
            return await self._client.pages.create(parent=parent, properties=properties)

        return await create_once(
            create,
            find=find,
            classify=self._classifier("pages.create"),
            policy=self._policy,
            service="notion",
            operation="pages.create",
            known_absent=known_absent,
        )

    async def update_page(self, page_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        return await self._call(
            "pages.update",
            lambda: self._client.pages.update(page_id=page_id, properties=properties),
        )

    async def retrieve_page(self, page_id: str) -> dict[str, Any]:
        return await self._call(
            "pages.retrieve", lambda: self._client.pages.retrieve(page_id=page_id)
        )

    async def retrieve_data_source(self, data_source_id: str) -> dict[str, Any]:
        return await self._call(
            "data_sources.retrieve",
            lambda: self._client.data_sources.retrieve(data_source_id=data_source_id),
        )


__all__ = ["APIResponseError", "NotionGateway", "classify_notion_error"]
