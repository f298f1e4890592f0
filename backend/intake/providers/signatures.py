"""Building blocks of the providers' webhook signatures: HMAC-SHA256, header parsing, clocks.

Every check runs over the raw request bytes, compares digests with
`hmac.compare_digest` and raises SignatureError with a message that names the failed
check but never the expected value.
"""

import base64
import hashlib
import hmac

from backend.intake.providers.base import Delivery, SignatureError

# Age or lead of a signed timestamp deme accepts, as Webflow recommends and receivers
# of Formspree and WPForms use.
TIMESTAMP_TOLERANCE_SECONDS = 300


def hmac_sha256(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def hmac_base64(secret: bytes, message: bytes) -> str:
    return base64.b64encode(hmac_sha256(secret, message)).decode("ascii")


def hmac_hex(secret: bytes, message: bytes) -> str:
    return hmac_sha256(secret, message).hex()


def require_header(delivery: Delivery, name: str) -> str:
    """Return the header's value, or raise SignatureError if it is missing or empty."""
    value = (delivery.header(name) or "").strip()
    if not value:
        raise SignatureError(f"header {name} is missing")
    return value


def check_equal(received: str, expected: str, header: str) -> None:
    """Compare two signature strings in constant time; raise SignatureError if they differ."""
    if not hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8")):
        raise SignatureError(f"header {header} does not match the body and secret")


def parse_timestamped(value: str, header: str, signature_key: str) -> tuple[str, str]:
    """Split "t=1700000000,v1=abc" into the timestamp and the signature under `signature_key`."""
    parts: dict[str, str] = {}
    for item in value.split(","):
        name, sep, part = item.strip().partition("=")
        if sep:
            parts.setdefault(name.strip(), part.strip())
    timestamp = parts.get("t")
    signature = parts.get(signature_key)
    if not timestamp or not signature:
        raise SignatureError(f"header {header} must read t=<unix time>,{signature_key}=<signature>")
    return timestamp, signature


def check_fresh(timestamp: str, now: float, header: str, *, milliseconds: bool = False) -> None:
    """Raise SignatureError unless `timestamp` is within the tolerance of `now` (seconds)."""
    try:
        sent_at = int(timestamp)
    except ValueError as error:
        raise SignatureError(f"header {header} has a timestamp that is not an integer") from error
    seconds = sent_at / 1000 if milliseconds else sent_at
    if abs(now - seconds) > TIMESTAMP_TOLERANCE_SECONDS:
        raise SignatureError(
            f"header {header} is more than {TIMESTAMP_TOLERANCE_SECONDS} s from the server clock"
        )
