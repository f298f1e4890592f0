"""The pipeline's validate step: from a form payload to a normalised, priced inquiry.

Only a body that is not a JSON object is rejected (`parse_payload` raises
InvalidPayloadError). Every business problem is kept as a `Problem`, the inquiry goes
on with what is known. `needs_review` is True when the prestation must be marked
"À vérifier".
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, computed_field

from backend.intake.catalog import FALLBACK_EVENT_TYPE, Catalog
from backend.intake.contact import normalize_email, normalize_phone
from backend.intake.dates import (
    parse_event_date,
    parse_event_hours,
    parse_event_time,
    parse_submitted_at,
)
from backend.intake.errors import InvalidPayloadError
from backend.intake.guests import parse_guests
from backend.intake.inquiry import EventSlot, FormPayload, Inquiry, RequestedOption
from backend.intake.names import name_from_email, normalize_name
from backend.intake.pricing import Quote, price_quote
from backend.intake.problems import Problem
from backend.intake.text import json_type_name

# Values of the Prestations "Statut" property in Notion.
STATUS_NEW = "Nouvelle demande"
STATUS_TO_REVIEW = "À vérifier"

# Written in the prestation name in place of an event date that is not known.
DATE_TO_CONFIRM = "date à confirmer"

# Prefix of the submission ids derived from the content when the form sends none.
DERIVED_ID_PREFIX = "form-"


class ValidatedInquiry(BaseModel):
    """The validate step's result, ready for the pipeline state as `model_dump(mode="json")`.

    Amounts and quantities dump as decimal strings ("1920.00", "80"), dates and times
    as ISO 8601 strings. `model_validate` reads such a dump back.
    """

    inquiry: Inquiry
    event: EventSlot | None  # None when the event date is not known
    quote: Quote
    problems: list[Problem]
    prestation_name: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def needs_review(self) -> bool:
        return bool(self.problems)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> str:
        """The prestation's initial status in Notion."""
        return STATUS_TO_REVIEW if self.problems else STATUS_NEW

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-compatible data for the pipeline state."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ValidatedInquiry":
        """Rebuild a result from `to_dict` output."""
        return cls.model_validate(dict(data))


def parse_payload(raw: bytes) -> dict[str, Any]:
    """Decode a request body into the form's JSON object.

    Raises InvalidPayloadError when the body is not UTF-8, not valid JSON, or not a
    JSON object. This is the only check that rejects a submission.
    """
    if not raw.strip():
        raise InvalidPayloadError("body is empty: expected a JSON object")
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as error:
        raise InvalidPayloadError(f"body is not valid UTF-8: {error.reason}") from error
    except json.JSONDecodeError as error:
        position = f"line {error.lineno}, column {error.colno}"
        raise InvalidPayloadError(f"body is not valid JSON: {error.msg} ({position})") from error
    except RecursionError as error:
        raise InvalidPayloadError("body is not usable: JSON nested too deeply") from error
    if not isinstance(data, dict):
        raise InvalidPayloadError(f"body must be a JSON object, got {json_type_name(data)}")
    return without_unstorable_characters(data)


def without_unstorable_characters(value: Any) -> Any:
    """Drop NUL characters and lone surrogates, which PostgreSQL text and jsonb reject."""
    if isinstance(value, str):
        text = value.replace("\x00", " ")
        return "".join(ch for ch in text if not "\ud800" <= ch <= "\udfff")
    if isinstance(value, list):
        return [without_unstorable_characters(item) for item in value]
    if isinstance(value, dict):
        return {
            without_unstorable_characters(key): without_unstorable_characters(item)
            for key, item in value.items()
        }
    return value


def validate_inquiry(
    payload: Mapping[str, Any],
    catalog: Catalog,
    *,
    timezone: str = "Europe/Paris",
    guests_per_server: int = 25,
    default_event_hours: Decimal | None = None,
    received_at: datetime | None = None,
) -> ValidatedInquiry:
    """Normalise, match and price a form payload, reporting business problems as `Problem`s.

    `timezone` is the caterer's (settings.timezone). `default_event_hours` overrides the
    catalog's event length. `received_at` stands in for a missing or unreadable
    `submitted_at` and defaults to now. Problems come ordered: guests, date and time,
    event type, options and quote lines, then contact details.

    Raises InvalidPayloadError if `payload` is not a mapping, ZoneInfoNotFoundError for an
    unknown `timezone`, and ValueError if `guests_per_server` is below 1. No field value
    of a JSON object raises.
    """
    if not isinstance(payload, Mapping):
        raise InvalidPayloadError(f"payload must be a JSON object, got {json_type_name(payload)}")
    form = FormPayload.model_validate(dict(payload))
    zone = ZoneInfo(timezone)
    problems: list[Problem] = []

    guest_count = parse_guests(form.guests)
    problems += guest_count.problems

    submitted_at, found = parse_submitted_at(
        form.submitted_at, zone, received_at or datetime.now(zone)
    )
    problems += found
    event_date, found = parse_event_date(form.event_date, submitted_at.astimezone(zone).date())
    problems += found
    event_time, found = parse_event_time(form.event_time)
    problems += found
    hours, found = parse_event_hours(
        form.hours,
        catalog.default_event_hours if default_event_hours is None else default_event_hours,
    )
    problems += found

    event_type, found = _event_type(form.event_type, catalog)
    problems += found

    contact_problems: list[Problem] = []
    email, found = normalize_email(form.email)
    contact_problems += found
    phone, found = normalize_phone(form.phone)
    contact_problems += found
    client_name = normalize_name(form.name or "")
    if not client_name:
        client_name = name_from_email(email)
        contact_problems.insert(
            0,
            Problem(
                code="name_missing",
                message=f'client name not given: filed as "{client_name}"',
                field="name",
            ),
        )
    if email is None and phone is None:
        contact_problems.append(
            Problem(
                code="no_contact",
                message="no email and no phone: the client cannot be reached",
                field=None,
            )
        )

    inquiry = Inquiry(
        submission_id=(form.submission_id or "").strip(),
        submitted_at=submitted_at,
        client_name=client_name,
        email=email,
        phone=phone,
        event_type=event_type,
        event_date=event_date,
        event_time=event_time,
        address=_text_or_none(form.address),
        guests=guest_count.guests,
        guests_is_estimate=guest_count.is_estimate,
        options=[_requested_option(text, catalog) for text in form.options],
        message=_text_or_none(form.message),
        hours=hours,
        extra=dict(form.model_extra or {}),
    )
    if not (form.submission_id or "").strip():
        inquiry = inquiry.model_copy(update={"submission_id": derive_submission_id(inquiry, form)})

    quote = price_quote(inquiry, catalog, guests_per_server=guests_per_server)
    problems += quote.problems
    problems += contact_problems

    event = None
    if event_date is not None:
        event = EventSlot.for_event(event_date, event_time, hours, timezone)
    return ValidatedInquiry(
        inquiry=inquiry,
        event=event,
        quote=quote,
        problems=problems,
        prestation_name=prestation_name(inquiry),
    )


def submission_id_of(payload: Mapping[str, Any], catalog: Catalog) -> str:
    """Return the inquiry's submission id: the form's own, or one derived from its content.

    Equal to `validate_inquiry(payload, catalog).inquiry.submission_id`, but when the
    form sent an id, nothing else is normalised or priced: the webhook needs only the id.
    """
    if not isinstance(payload, Mapping):
        raise InvalidPayloadError(f"payload must be a JSON object, got {json_type_name(payload)}")
    declared = (FormPayload.model_validate(dict(payload)).submission_id or "").strip()
    if declared:
        return declared
    return validate_inquiry(payload, catalog).inquiry.submission_id


def prestation_name(inquiry: Inquiry) -> str:
    """Return the prestation's name: "Mariage – Claire Martin – 14/06/2027" (en dashes)."""
    when = inquiry.event_date.strftime("%d/%m/%Y") if inquiry.event_date else DATE_TO_CONFIRM
    return f"{inquiry.event_type} \u2013 {inquiry.client_name} \u2013 {when}"


def derive_submission_id(inquiry: Inquiry, form: FormPayload) -> str:
    """Return "form-" and 32 hex digits of the SHA-256 of the inquiry's content.

    The content is the normalised inquiry without its id and submission time, plus the
    raw text of fields that could not be read. So a resubmission of the same form gets
    the same id, even at another time, while two different unreadable dates do not.
    """
    content = inquiry.model_dump(mode="json", exclude={"submission_id", "submitted_at"})
    content["unread"] = {
        "event_date": form.event_date if inquiry.event_date is None else None,
        "event_time": form.event_time if inquiry.event_time is None else None,
        "guests": form.guests if inquiry.guests is None else None,
        "email": form.email if inquiry.email is None else None,
        "phone": form.phone if inquiry.phone is None else None,
        "event_type": form.event_type,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return DERIVED_ID_PREFIX + digest[:32]


def _event_type(raw: str | None, catalog: Catalog) -> tuple[str, list[Problem]]:
    if raw is None or not raw.strip():
        message = f"event type not given: filed as {FALLBACK_EVENT_TYPE}"
        return FALLBACK_EVENT_TYPE, [
            Problem(code="event_type_missing", message=message, field="event_type")
        ]
    event_type = catalog.event_type_for(raw)
    if event_type is None:
        message = f'event type not in catalog: "{raw.strip()}": filed as {FALLBACK_EVENT_TYPE}'
        return FALLBACK_EVENT_TYPE, [
            Problem(code="event_type_unknown", message=message, field="event_type")
        ]
    return event_type, []


def _requested_option(text: str, catalog: Catalog) -> RequestedOption:
    matched = catalog.match(text)
    return RequestedOption(
        text=matched.text,
        item_id=matched.item_id,
        quantity=matched.quantity,
        match=matched.method,
    )


def _text_or_none(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()
