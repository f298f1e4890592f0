"""What every form provider module defines: the delivery it reads and the submission it yields.

A provider module turns one webhook delivery (raw body, content type, headers) into a
`ProviderSubmission`: the form's answers with their keys and labels, the provider's
submission id when it sends one, and the submission time. `mapping.build_form` then
turns the answers into the generic form dict that `validate_inquiry` reads.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.intake.errors import IntakeError, InvalidPayloadError

# A JSON value as a form answer: text, number, boolean, list of texts, object or null.
AnswerValue = Any


class SignatureError(IntakeError):
    """The delivery's signature is missing, malformed, stale or does not match the secret."""


class UnsupportedContentTypeError(IntakeError):
    """The provider never sends this content type, so the body cannot be read."""


class NotAnInquiryError(IntakeError):
    """The delivery is valid but carries no finished inquiry (a partial Typeform response)."""


@dataclass(frozen=True)
class Delivery:
    """One webhook request as received: the raw bytes and the headers, names in lower case."""

    raw_body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def media_type(self) -> str:
        """The content type without parameters, in lower case ("application/json")."""
        return self.content_type.split(";", 1)[0].strip().lower()

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Answer:
    """One answered form field: the provider's stable key, its human label, its value."""

    key: str
    label: str
    value: AnswerValue


@dataclass(frozen=True)
class ProviderSubmission:
    """A delivery read by its provider module, before the field mapping.

    `submission_id` is None when the provider sends no id: the submission is then
    deduplicated by a hash of its content within a time window. `form` is set only by
    the generic provider, whose body already is the generic form dict.
    """

    answers: list[Answer]
    submission_id: str | None
    submitted_at: str | None = None
    form_ref: str | None = None  # the provider's own form id or name
    metadata: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] | None = None


# Verifies a delivery with a secret at a time (Unix seconds); raises SignatureError.
SignatureCheck = Callable[[Delivery, bytes, float], None]


@dataclass(frozen=True)
class Provider:
    """A form builder deme receives webhooks from.

    `verify` is None for providers that do not sign their deliveries: with a secret set,
    such a provider must send it as the `token` query parameter of the webhook URL.
    `deduplicate_by_content` is True when the provider's id cannot tell a double submit
    apart (no id, or one id per entry as with WPForms).
    """

    name: str
    title: str
    media_types: frozenset[str]
    parse: Callable[[Delivery], ProviderSubmission]
    verify: SignatureCheck | None
    headers_kept: tuple[str, ...] = ()
    deduplicate_by_content: bool = False
    accepts_missing_content_type: bool = False

    def check_media_type(self, delivery: Delivery) -> None:
        """Raise UnsupportedContentTypeError unless the provider sends this content type."""
        media_type = delivery.media_type
        if not media_type and self.accepts_missing_content_type:
            return
        if media_type not in self.media_types:
            expected = ", ".join(sorted(self.media_types))
            raise UnsupportedContentTypeError(
                f"content type {media_type or '(none)'!r} is not sent by {self.title}: "
                f"expected {expected}"
            )


def require_object(value: Any, where: str) -> dict[str, Any]:
    """Return `value` if it is a JSON object, else raise InvalidPayloadError naming `where`."""
    if not isinstance(value, dict):
        raise InvalidPayloadError(f"{where} must be a JSON object")
    return value


def require_list(value: Any, where: str) -> list[Any]:
    """Return `value` if it is a JSON array, else raise InvalidPayloadError naming `where`."""
    if not isinstance(value, list):
        raise InvalidPayloadError(f"{where} must be a JSON array")
    return value


def text_or_none(value: Any) -> str | None:
    """Return a JSON string or number as text, None for anything else or an empty string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float):
        return str(value)
    return None
