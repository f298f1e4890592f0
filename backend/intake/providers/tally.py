"""Tally (tally.so): JSON events signed with `Tally-Signature`, base64 HMAC-SHA256 of the body.

Sources: https://tally.so/help/webhooks and the webhook API reference at
developers.tally.so. Choice fields send option ids, resolved through their `options`.
Checkbox groups also send one boolean entry per option, which is skipped.
"""

from typing import Any

from backend.intake.providers.base import (
    Answer,
    Delivery,
    NotAnInquiryError,
    Provider,
    ProviderSubmission,
    require_list,
    require_object,
    text_or_none,
)
from backend.intake.providers.bodies import JSON_TYPES, decode_json_object
from backend.intake.providers.signatures import check_equal, hmac_base64, require_header

SIGNATURE_HEADER = "tally-signature"
_CHOICE_TYPES = {"MULTIPLE_CHOICE", "DROPDOWN", "MULTI_SELECT", "RANKING", "CHECKBOXES"}


def verify(delivery: Delivery, secret: bytes, now: float) -> None:
    received = require_header(delivery, SIGNATURE_HEADER)
    check_equal(received, hmac_base64(secret, delivery.raw_body), SIGNATURE_HEADER)


def parse(delivery: Delivery) -> ProviderSubmission:
    event = decode_json_object(delivery)
    if event.get("eventType") != "FORM_RESPONSE":
        raise NotAnInquiryError(f"Tally event {event.get('eventType')!r} is not FORM_RESPONSE")
    data = require_object(event.get("data"), "Tally data")
    fields = [
        require_object(item, "Tally field")
        for item in require_list(data.get("fields"), "Tally data.fields")
    ]

    group_keys = {str(item.get("key")) for item in fields if item.get("type") == "CHECKBOXES"}
    answers = [
        Answer(str(item.get("key") or ""), str(item.get("label") or ""), _value(item))
        for item in fields
        if not _is_checkbox_option(item, group_keys)
    ]
    submission_id = text_or_none(data.get("responseId")) or text_or_none(data.get("submissionId"))
    return ProviderSubmission(
        answers=answers,
        submission_id=submission_id,
        submitted_at=text_or_none(data.get("createdAt")) or text_or_none(event.get("createdAt")),
        form_ref=text_or_none(data.get("formId")),
    )


def _is_checkbox_option(item: dict[str, Any], group_keys: set[str]) -> bool:
    key = str(item.get("key") or "")
    return isinstance(item.get("value"), bool) and any(
        key.startswith(f"{group}_") for group in group_keys
    )


def _value(item: dict[str, Any]) -> Any:
    value = item.get("value")
    if item.get("type") in _CHOICE_TYPES and isinstance(value, list):
        texts = {
            option.get("id"): option.get("text")
            for option in item.get("options") or []
            if isinstance(option, dict)
        }
        return [texts.get(choice, choice) for choice in value]
    return value


PROVIDER = Provider(
    name="tally",
    title="Tally",
    media_types=JSON_TYPES,
    parse=parse,
    verify=verify,
    headers_kept=(SIGNATURE_HEADER,),
)
