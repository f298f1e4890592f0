"""WPForms Webhooks addon: admin-mapped key/value bodies signed with `t=<unix>,v=<hex HMAC>`.

Source: the addon's `WPFormsWebhooks\\Process` class. The signature is the hex
HMAC-SHA256 of the timestamp `t`, a dot and the JSON body. Even when the Request Format
is URL-encoded, the addon signs `wp_json_encode` of the fields, bytes deme never
receives, so signed webhooks must use the JSON format. A double submit creates two entries with two
`entry_id`s, so submissions are deduplicated by content, not by entry id.
"""

from typing import Any

from backend.intake.providers.base import (
    Answer,
    Delivery,
    Provider,
    ProviderSubmission,
    SignatureError,
    text_or_none,
)
from backend.intake.providers.bodies import JSON_TYPES
from backend.intake.providers.signatures import (
    check_equal,
    check_fresh,
    hmac_hex,
    parse_timestamped,
    require_header,
)
from backend.intake.providers.wordpress import WORDPRESS_MEDIA_TYPES, decode_wordpress_body

SIGNATURE_HEADER = "x-wpforms-webhook-signature"
WEBHOOK_ID_HEADER = "x-wpforms-webhook-id"
# Keys an admin may map the {entry_id} smart tag to.
_ENTRY_ID_KEYS = ("entry_id", "entry id", "entryid", "{entry_id}")
# WPForms joins the values of multi-value fields (checkboxes, selects, address lines).
_MULTI_VALUE_SEPARATOR = "||"


def verify(delivery: Delivery, secret: bytes, now: float) -> None:
    if delivery.media_type not in JSON_TYPES:
        raise SignatureError(
            "WPForms signs the JSON encoding of the fields, not a URL-encoded body: "
            "set the webhook's Request Format to JSON"
        )
    value = require_header(delivery, SIGNATURE_HEADER)
    timestamp, received = parse_timestamped(value, SIGNATURE_HEADER, "v")
    check_fresh(timestamp, now, SIGNATURE_HEADER)
    expected = hmac_hex(secret, timestamp.encode("ascii") + b"." + delivery.raw_body)
    check_equal(received, expected, SIGNATURE_HEADER)


def parse(delivery: Delivery) -> ProviderSubmission:
    body = decode_wordpress_body(delivery, "WPForms")
    entry_id = None
    answers = []
    for key, value in body.items():
        if key.strip().lower() in _ENTRY_ID_KEYS:
            entry_id = text_or_none(value)
            continue
        answers.append(Answer(str(key), str(key), _value(value)))
    return ProviderSubmission(
        answers=answers,
        submission_id=entry_id,
        form_ref=delivery.header(WEBHOOK_ID_HEADER),
    )


def _value(value: Any) -> Any:
    if isinstance(value, dict) and "value" in value:
        return value["value"]  # date-time fields: {"value": "14/06/2027 18:30", "unix": …}
    if isinstance(value, str) and _MULTI_VALUE_SEPARATOR in value:
        return [part.strip() for part in value.split(_MULTI_VALUE_SEPARATOR) if part.strip()]
    return value


PROVIDER = Provider(
    name="wpforms",
    title="WPForms",
    media_types=WORDPRESS_MEDIA_TYPES,
    parse=parse,
    verify=verify,
    headers_kept=(SIGNATURE_HEADER, WEBHOOK_ID_HEADER),
    deduplicate_by_content=True,
)
