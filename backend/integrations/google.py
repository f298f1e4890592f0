"""Google gateway: Drive, Sheets, Calendar and Gmail through google-api-python-client.

httplib2 is not thread-safe, and calls run in worker threads (`asyncio.to_thread`), so
each call gets its own `AuthorizedHttp` over a fresh `httplib2.Http`. The service objects
built from the discovery documents shipped in the wheel are shared, since building one
parses a large JSON document and requests only read from it.
"""

import asyncio
import base64
import json
import secrets
import socket
from collections.abc import Callable
from typing import Any

import google_auth_httplib2
import httplib2
import structlog
from google.auth.credentials import Credentials
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from backend.errors import ExternalServiceError
from backend.integrations.rate_limit import RateLimiter, UnlimitedRateLimiter
from backend.integrations.retry import (
    RetryPolicy,
    call_with_retry,
    create_once,
    parse_retry_after,
)

log = structlog.get_logger(__name__)

SCOPES = (
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.readonly",
)

# Reasons Google gives on a 403 that mean "slow down", not "forbidden".
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})

_APIS = {
    "drive": ("drive", "v3"),
    "sheets": ("sheets", "v4"),
    "calendar": ("calendar", "v3"),
    "gmail": ("gmail", "v1"),
}


def _error_reason(content: bytes) -> tuple[str | None, str]:
    try:
        error = json.loads(content.decode("utf-8")).get("error", {})
    except (ValueError, AttributeError):
        return None, content[:300].decode("utf-8", "replace")
    if not isinstance(error, dict):
        return None, str(error)[:300]
    reasons = [item.get("reason") for item in error.get("errors", []) if isinstance(item, dict)]
    return (reasons[0] if reasons else error.get("status")), error.get("message", "")


def _refresh_message(exc: RefreshError) -> str:
    detail = exc.args[0] if exc.args else str(exc)
    if "deme auth google" not in str(detail):
        detail = f"{detail}; run `deme auth google` to authorise deme again"
    return f"Google credentials could not be refreshed: {detail}"


def classify_google_error(exc: Exception, service: str) -> ExternalServiceError | None:
    """Map a googleapiclient, google-auth or socket exception to an `ExternalServiceError`."""
    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        reason, message = _error_reason(exc.content or b"")
        retryable = status == 429 or status >= 500 or (
            status == 403 and reason in RATE_LIMIT_REASONS
        )
        return ExternalServiceError(
            service=service,
            operation="",
            message=message or exc.reason or "error",
            status=status,
            code=reason,
            retryable=retryable,
            retry_after=parse_retry_after(exc.resp.get("retry-after")),
        )
    if isinstance(exc, RefreshError):
        return ExternalServiceError(
            service=service,
            operation="",
            message=_refresh_message(exc),
            code="invalid_grant",
            retryable=False,
        )
    if isinstance(exc, socket.timeout | TimeoutError):
        return ExternalServiceError(
            service=service, operation="", message="request timed out", retryable=True
        )
    if isinstance(exc, ConnectionError | httplib2.HttpLib2Error | TransportError | OSError):
        return ExternalServiceError(
            service=service, operation="", message=f"connection failed: {exc}", retryable=True
        )
    return None


class GoogleGateway:
    """The Drive, Sheets, Calendar and Gmail calls deme makes, with retries."""

    def __init__(
        self,
        *,
        credentials: Credentials,
        base_url: str | None,
        timeout_seconds: float,
        policy: RetryPolicy,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._credentials = credentials
        self._timeout = timeout_seconds
        self._policy = policy
        self._limiter = limiter or UnlimitedRateLimiter()
        self._services = {
            key: self._build(name, version, base_url) for key, (name, version) in _APIS.items()
        }

    @staticmethod
    def _build(name: str, version: str, base_url: str | None) -> Any:
        options = None
        if base_url:
            options = {"api_endpoint": f"{base_url.rstrip('/')}/{name}/{version}/"}
        # The http given here only builds the object; every call passes its own.
        return build(
            name,
            version,
            http=httplib2.Http(),
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )

    def _new_http(self) -> google_auth_httplib2.AuthorizedHttp:
        # A 401 on a token believed valid forces one refresh and one retry, no more.
        return google_auth_httplib2.AuthorizedHttp(
            self._credentials, http=httplib2.Http(timeout=self._timeout), max_refresh_attempts=1
        )

    async def _execute(
        self, service: str, operation: str, make_request: Callable[[Any], Any]
    ) -> dict[str, Any]:
        resource = self._services[service]

        async def attempt() -> dict[str, Any]:
            await self._limiter.acquire(service)
            request = make_request(resource)
            return await asyncio.to_thread(request.execute, http=self._new_http())

        return await call_with_retry(
            attempt,
            classify=self._classifier(service, operation),
            policy=self._policy,
            service=service,
            operation=operation,
        )

    @staticmethod
    def _classifier(
        service: str, operation: str
    ) -> Callable[[Exception], ExternalServiceError | None]:
        def classify(exc: Exception) -> ExternalServiceError | None:
            error = classify_google_error(exc, service)
            if error is not None:
                error.operation = operation
            return error

        return classify

    # Drive
    async def copy_file(self, file_id: str, *, name: str, parents: list[str] | None = None) -> dict:
        """Copy a file, without a second copy when a response is lost.

        Drive has no idempotency key, so the copy's name carries a random marker and,
        before each retry, Drive is searched for a file of that name.
        NOTE: Drive's search can lag behind a new file, so a retry soon after a lost
        response may still copy again; the extra copy is never used, only left in Drive.
        """
        # A typographic apostrophe keeps the name free of quotes to escape in the query.
        unique_name = f"{name.replace(chr(39), '’')} · {secrets.token_hex(4)}"
        body: dict[str, Any] = {"name": unique_name}
        if parents:
            body["parents"] = parents
        resource = self._services["drive"]

        async def copy() -> dict:
            request = resource.files().copy(
                fileId=file_id, body=body, supportsAllDrives=True, fields="id,name,webViewLink"
            )
            return await asyncio.to_thread(request.execute, http=self._new_http())

        async def find() -> dict | None:
            return await self.find_file(unique_name)

        copied, _created = await create_once(
            copy,
            find=find,
            classify=self._classifier("drive", "files.copy"),
            policy=self._policy,
            service="drive",
            operation="files.copy",
            known_absent=True,
        )
        return copied

    async def find_file(self, name: str) -> dict | None:
        """Return the first file (not in the trash) with exactly this name, or None."""
        escaped = name.replace("\\", "\\\\").replace("'", "\\'")
        response = await self._execute(
            "drive",
            "files.list",
            lambda api: api.files().list(
                q=f"name = '{escaped}' and trashed = false",
                fields="files(id,name,webViewLink)",
                supportsAllDrives=True,
                includeItemsFromAllDrives=True,
                pageSize=10,
            ),
        )
        files = response.get("files", [])
        return files[0] if files else None

    async def rename_file(self, file_id: str, name: str) -> dict:
        return await self._execute(
            "drive",
            "files.update",
            lambda api: api.files().update(
                fileId=file_id, body={"name": name}, supportsAllDrives=True,
                fields="id,name,webViewLink",
            ),
        )

    async def get_file(self, file_id: str) -> dict:
        return await self._execute(
            "drive",
            "files.get",
            lambda api: api.files().get(
                fileId=file_id, supportsAllDrives=True, fields="id,name,mimeType,webViewLink"
            ),
        )

    # Sheets
    async def get_spreadsheet(self, spreadsheet_id: str) -> dict:
        return await self._execute(
            "sheets",
            "spreadsheets.get",
            lambda api: api.spreadsheets().get(spreadsheetId=spreadsheet_id),
        )

    async def write_ranges(self, spreadsheet_id: str, data: list[dict[str, Any]]) -> dict:
        """Write several ranges in one request; numbers go as JSON numbers (locale-safe)."""
        body = {"valueInputOption": "RAW", "data": data}
        return await self._execute(
            "sheets",
            "values.batchUpdate",
            lambda api: api.spreadsheets().values().batchUpdate(
                spreadsheetId=spreadsheet_id, body=body
            ),
        )

    async def read_range(self, spreadsheet_id: str, range_name: str) -> list[list[Any]]:
        response = await self._execute(
            "sheets",
            "values.get",
            lambda api: api.spreadsheets().values().get(
                spreadsheetId=spreadsheet_id,
                range=range_name,
                valueRenderOption="UNFORMATTED_VALUE",
            ),
        )
        return response.get("values", [])

    # Calendar
    async def insert_event(self, calendar_id: str, event: dict[str, Any]) -> dict:
        return await self._execute(
            "calendar",
            "events.insert",
            lambda api: api.events().insert(calendarId=calendar_id, body=event, sendUpdates="none"),
        )

    async def get_event(self, calendar_id: str, event_id: str) -> dict:
        return await self._execute(
            "calendar",
            "events.get",
            lambda api: api.events().get(calendarId=calendar_id, eventId=event_id),
        )

    async def patch_event(self, calendar_id: str, event_id: str, patch: dict[str, Any]) -> dict:
        return await self._execute(
            "calendar",
            "events.patch",
            lambda api: api.events().patch(
                calendarId=calendar_id, eventId=event_id, body=patch, sendUpdates="none"
            ),
        )

    # Gmail
    async def send_message_once(self, raw: str, *, rfc822_message_id: str) -> tuple[str, bool]:
        """Send a message unless Gmail has one with this Message-ID; return its id, new?

        Gmail has no idempotency key, so before each attempt (a failed send may have
        gone out) the mailbox is searched for the Message-ID deme set.
        """
        resource = self._services["gmail"]
        classify = self._classifier("gmail", "messages.send")

        async def find() -> str | None:
            ids = await self.find_message_ids(f"rfc822msgid:{rfc822_message_id}")
            return ids[0] if ids else None

        async def send() -> str:
            await self._limiter.acquire("gmail")
            request = resource.users().messages().send(userId="me", body={"raw": raw})
            response = await asyncio.to_thread(request.execute, http=self._new_http())
            return response["id"]

        return await create_once(
            send, find=find, classify=classify, policy=self._policy,
            service="gmail", operation="messages.send",
        )

    async def get_raw_message(self, message_id: str) -> bytes:
        """Return a message as RFC 2822 bytes (Gmail's format=raw, base64url-decoded)."""
        response = await self._execute(
            "gmail",
            "messages.get",
            lambda api: api.users().messages().get(userId="me", id=message_id, format="raw"),
        )
        raw = response["raw"]
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))

    async def find_message_ids(self, query: str) -> list[str]:
        response = await self._execute(
            "gmail",
            "messages.list",
            lambda api: api.users().messages().list(userId="me", q=query, maxResults=10),
        )
        return [message["id"] for message in response.get("messages", [])]
