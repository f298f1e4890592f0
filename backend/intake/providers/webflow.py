"""Webflow form_submission webhooks, signed with `x-webflow-signature` over "<ts>:<body>".

Sources: https://developers.webflow.com/data/docs/working-with-webhooks and
webflow/js-webflow-api `WebhooksClient.ts`. The signature is the hex HMAC-SHA256 of
`x-webflow-timestamp` (epoch milliseconds), a colon and the body. Webhooks made in the
site dashboard are unsigned: leave their secret unset or use the URL token.
"""

from backend.intake.errors import InvalidPayloadError
from backend.intake.providers.base import (
    Answer,
    Delivery,
    NotAnInquiryError,
    Provider,
    ProviderSubmission,
    text_or_none,
)
from backend.intake.providers.bodies import JSON_TYPES, decode_json_object
from backend.intake.providers.signatures import (
    check_equal,
    check_fresh,
    hmac_hex,
    require_header,
)

SIGNATURE_HEADER = "x-webflow-signature"
TIMESTAMP_HEADER = "x-webflow-timestamp"


def verify(delivery: Delivery, secret: bytes, now: float) -> None:
    received = require_header(delivery, SIGNATURE_HEADER)
    timestamp = require_header(delivery, TIMESTAMP_HEADER)
    check_fresh(timestamp, now, TIMESTAMP_HEADER, milliseconds=True)
    expected = hmac_hex(secret, timestamp.encode("ascii") + b":" + delivery.raw_body)
    check_equal(received, expected, SIGNATURE_HEADER)


def parse(delivery: Delivery) -> ProviderSubmission:
    event = decode_json_object(delivery)
    if "triggerType" in event:
        if event["triggerType"] != "form_submission":
            raise NotAnInquiryError(f"Webflow trigger {event['triggerType']!r} is not a form")
        payload = event.get("payload")
        id_key, time_key = "id", "submittedAt"
    else:
        payload = event  # the legacy v1 body: {name, site, data, d, _id}
        id_key, time_key = "_id", "d"
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise InvalidPayloadError("Webflow payload.data must be a JSON object")

    answers = [Answer(str(name), str(name), value) for name, value in payload["data"].items()]
    return ProviderSubmission(
        answers=answers,
        submission_id=text_or_none(payload.get(id_key)),
        submitted_at=text_or_none(payload.get(time_key)),
        form_ref=text_or_none(payload.get("formId")) or text_or_none(payload.get("name")),
    )


PROVIDER = Provider(
    name="webflow",
    title="Webflow",
    media_types=JSON_TYPES,
    parse=parse,
    verify=verify,
    headers_kept=(SIGNATURE_HEADER, TIMESTAMP_HEADER),
)
