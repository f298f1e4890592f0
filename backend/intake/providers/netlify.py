"""Netlify Forms outgoing webhooks, signed with a JWS (HS256) in `X-Webhook-Signature`.

Netlify's docs (site-deploys/notifications, "payload signature") describe the token: its
claims are `iss: "netlify"` and `sha256`, the hex SHA-256 of the raw body, signed with
the webhook's "JWS secret token". Answers are read from `ordered_human_fields`, which
keeps the form's labels, or from `data` without Netlify's own keys.
"""

import hashlib
import hmac

import jwt

from backend.intake.providers.base import (
    Answer,
    Delivery,
    Provider,
    ProviderSubmission,
    SignatureError,
    text_or_none,
)
from backend.intake.providers.bodies import JSON_TYPES, decode_json_object
from backend.intake.providers.signatures import require_header

SIGNATURE_HEADER = "x-webhook-signature"
_DATA_METADATA = frozenset({"ip", "user_agent", "referrer"})


def verify(delivery: Delivery, secret: bytes, now: float) -> None:
    token = require_header(delivery, SIGNATURE_HEADER)
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], issuer="netlify", options={"require": ["iss"]}
        )
    except jwt.InvalidTokenError as error:
        raise SignatureError(f"header {SIGNATURE_HEADER} is not a valid token: {error}") from error
    expected = hashlib.sha256(delivery.raw_body).hexdigest()
    if not hmac.compare_digest(str(claims.get("sha256", "")).encode(), expected.encode()):
        raise SignatureError(f"header {SIGNATURE_HEADER} was signed for another body")


def parse(delivery: Delivery) -> ProviderSubmission:
    body = decode_json_object(delivery)
    ordered = body.get("ordered_human_fields")
    if isinstance(ordered, list) and ordered:
        answers = [
            Answer(str(item.get("name") or ""), str(item.get("title") or ""), item.get("value"))
            for item in ordered
            if isinstance(item, dict)
        ]
    else:
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        answers = [
            Answer(str(key), str(key), value)
            for key, value in data.items()
            if key not in _DATA_METADATA
        ]
    return ProviderSubmission(
        answers=answers,
        submission_id=text_or_none(body.get("id")),
        submitted_at=text_or_none(body.get("created_at")),
        form_ref=text_or_none(body.get("form_name")) or text_or_none(body.get("form_id")),
    )


PROVIDER = Provider(
    name="netlify",
    title="Netlify Forms",
    media_types=JSON_TYPES,
    parse=parse,
    verify=verify,
    headers_kept=(SIGNATURE_HEADER,),
)
