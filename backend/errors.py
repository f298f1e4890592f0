"""deme's exception tree: every error carries what a person needs to act on it."""

from dataclasses import dataclass


class DemeError(Exception):
    """Base of every error deme raises on purpose."""


class ConfigurationError(DemeError):
    """A setting is missing or wrong; the message names the setting and the fix."""


@dataclass(eq=False)
class ExternalServiceError(DemeError):
    """A call to Notion or Google failed after the retries the policy allows.

    `retryable` states whether running the step again later may succeed (rate limits,
    5xx, timeouts) or whether a person must change something first (validation, 404).
    """

    service: str
    operation: str
    message: str
    status: int | None = None
    code: str | None = None
    retryable: bool = False
    retry_after: float | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        status = f" (HTTP {self.status}{', ' + self.code if self.code else ''})"
        return f"{self.service} {self.operation} failed{status if self.status else ''}: " + (
            self.message
        )


class MissingInformation(DemeError):
    """The inquiry lacks what a step needs (an event date for the calendar, say)."""


class RunCrashedError(DemeError):
    """A run stopped on an unexpected error; it is recorded as failed with that error."""
