"""Reading WordPress form plugins' bodies: JSON or URL-encoded, with PHP's conventions."""

from typing import Any

from backend.intake.providers.base import Delivery, UnsupportedContentTypeError
from backend.intake.providers.bodies import JSON_TYPES, URLENCODED, decode_form

WORDPRESS_MEDIA_TYPES = JSON_TYPES | {URLENCODED}


def decode_wordpress_body(delivery: Delivery, title: str) -> dict[str, Any]:
    """Return the body as a dict, whether the plugin sent JSON or a URL-encoded form."""
    if delivery.media_type not in WORDPRESS_MEDIA_TYPES:
        raise UnsupportedContentTypeError(
            f"content type {delivery.media_type!r} is not sent by {title}"
        )
    return decode_form(delivery)
