"""Error bodies of the Notion and Google APIs, raised by route handlers as exceptions."""

import uuid
from typing import Any

from starlette.responses import JSONResponse

# Notion error code for each HTTP status (https://developers.notion.com/reference/status-codes).
NOTION_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    529: "service_overload",
}

NOTION_MESSAGES = {
    "unauthorized": "API token is invalid.",
    "restricted_resource": "Insufficient permissions for this endpoint.",
    "object_not_found": "Could not find the requested object.",
    "conflict_error": "Conflict occurred while saving. Please try again.",
    "rate_limited": "You have been rate limited. Please try again in a few minutes.",
    "internal_server_error": "Unexpected error occurred.",
    "bad_gateway": "Bad gateway.",
    "service_unavailable": "Notion is unavailable, please try again later.",
    "gateway_timeout": "Gateway timeout.",
    "service_overload": "Notion is overloaded, please try again later.",
}

# Google's canonical status name for each HTTP status (google.rpc.Code).
GOOGLE_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# Default (reason, domain, message) of a Google error for each HTTP status.
GOOGLE_DEFAULTS = {
    400: ("badRequest", "global", "Bad Request"),
    401: (
        "authError",
        "global",
        "Request is missing required authentication credential.",
    ),
    403: ("rateLimitExceeded", "usageLimits", "Rate Limit Exceeded"),
    404: ("notFound", "global", "Not Found"),
    409: ("conflict", "global", "Conflict"),
    410: ("deleted", "global", "Resource has been deleted"),
    429: ("rateLimitExceeded", "usageLimits", "Quota exceeded for quota metric 'Requests'."),
    500: ("backendError", "global", "Backend Error"),
    502: ("backendError", "global", "Bad Gateway"),
    503: ("backendError", "global", "The service is currently unavailable."),
    504: ("backendError", "global", "Deadline exceeded"),
}


def new_request_id() -> str:
    return str(uuid.uuid4())


class NotionError(Exception):
    """A Notion API error: rendered as `{"object": "error", "status", "code", ...}`."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        additional_data: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code or NOTION_CODES.get(status, "internal_server_error")
        self.message = message or NOTION_MESSAGES.get(self.code, "Unexpected error occurred.")
        self.headers = headers or {}
        self.additional_data = additional_data
        super().__init__(f"{status} {self.code}: {self.message}")

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": request_id or new_request_id(),
        }
        if self.additional_data is not None:
            body["additional_data"] = self.additional_data
        return body

    def response(self, request_id: str | None = None) -> JSONResponse:
        return JSONResponse(self.body(request_id), status_code=self.status, headers=self.headers)


def validation_error(message: str) -> NotionError:
    return NotionError(400, "validation_error", message)


class GoogleError(Exception):
    """A Google API error: rendered as `{"error": {"code", "message", "errors", "status"}}`."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        reason: str | None = None,
        domain: str | None = None,
        headers: dict[str, str] | None = None,
        location: str | None = None,
        location_type: str | None = None,
        extra_errors: list[dict[str, Any]] | None = None,
    ) -> None:
        default_reason, default_domain, default_message = GOOGLE_DEFAULTS.get(
            code, ("unknown", "global", "Unknown Error")
        )
        self.code = code
        self.message = message or default_message
        self.reason = reason or default_reason
        self.domain = domain or default_domain
        self.headers = headers or {}
        self.location = location
        self.location_type = location_type
        self.extra_errors = extra_errors or []
        super().__init__(f"{code} {self.reason}: {self.message}")

    def body(self) -> dict[str, Any]:
        first: dict[str, Any] = {
            "message": self.message,
            "domain": self.domain,
            "reason": self.reason,
        }
        if self.location:
            first["location"] = self.location
            first["locationType"] = self.location_type or "parameter"
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [first, *self.extra_errors],
                "status": GOOGLE_STATUSES.get(self.code, "UNKNOWN"),
            }
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.code, headers=self.headers)


def bad_request(message: str) -> GoogleError:
    return GoogleError(400, message, reason="badRequest")


def not_found(message: str = "Not Found") -> GoogleError:
    return GoogleError(404, message, reason="notFound")
