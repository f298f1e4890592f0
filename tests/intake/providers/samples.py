"""Recorded-shape provider deliveries under tests/data/providers and how each one is signed.

The signers are written from each provider's documentation, apart from the code under
test, so a test that signs with them checks the verifier against the scheme itself.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

import jwt

from backend.intake.providers import Delivery

PROVIDER_DATA = Path(__file__).resolve().parents[2] / "data" / "providers"
SECRET = "whsec_3f9c1e7a5b2d4f6081a3c5e7f9b1d3e5"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
JOTFORM_TYPE = "multipart/form-data; boundary=------------------------3f1c9e2a7b6d5c40"
FRAMER_ID = "8f14e45f-ceea-467f-a0e6-7b8d2c3a9f10"

# Field mapping of the Contact Form 7 sample, whose tags are not labels.
CF7_MAPPINGS = {
    "contact-form-7": {
        "event_type": ["menu"],
        "event_time": ["text-heure"],
        "guests": ["number"],
        "address": ["text-adresse"],
        "options": ["checkbox-prestations"],
    }
}


@dataclass(frozen=True)
class Sample:
    """One sample delivery: its provider, file, content type and expected submission id."""

    provider: str
    file: str
    content_type: str
    submission_id: str | None
    headers: dict[str, str] = field(default_factory=dict)
    mappings: dict | None = None

    @property
    def body(self) -> bytes:
        return (PROVIDER_DATA / self.file).read_bytes()

    def delivery(self, body: bytes | None = None, headers: dict[str, str] | None = None):
        merged = {**self.headers, **(headers or {})}
        return Delivery(
            raw_body=self.body if body is None else body,
            content_type=self.content_type,
            headers={name.lower(): value for name, value in merged.items()},
        )


SAMPLES = [
    Sample("form", "../inquiries/wedding-lyon.json", JSON, "site-2027-0001"),
    Sample("tally", "tally.json", JSON, "2wgx4n"),
    Sample("typeform", "typeform.json", JSON, "a3a12ec67a1365927098a606107fac15"),
    Sample("webflow", "webflow.json", JSON, "6321ecbf9c2b0f7a1a8f3b21"),
    Sample("framer", "framer.json", JSON, FRAMER_ID, {"Framer-Webhook-Submission-Id": FRAMER_ID}),
    Sample("fillout", "fillout.json", JSON, "abc123def456"),
    Sample("jotform", "jotform.multipart", JOTFORM_TYPE, "5871234567890123456"),
    Sample("wpforms", "wpforms.json", JSON, "4711"),
    Sample("contact-form-7", "contact-form-7.json", JSON, None, mappings=CF7_MAPPINGS),
    Sample("elementor", "elementor.txt", FORM, None),
    Sample("elementor", "elementor-advanced.txt", FORM, None),
    Sample("formspree", "formspree.json", JSON, None),
    Sample("netlify", "netlify.json", JSON, "65e0a1b2c3d4e5f601234567"),
    Sample("google-forms", "google-forms.json", JSON, "2_ABaOnucXr4kY7pQ9"),
    Sample(
        "google-forms",
        "google-forms-sheet.json",
        JSON,
        "1xT9-feuille-devis:Réponses au formulaire 1:12",
    ),
]
PROVIDER_SAMPLES = [sample for sample in SAMPLES if sample.provider != "form"]


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sign(provider: str, body: bytes, secret: str, now: float) -> dict[str, str]:
    """Return the signature headers `provider` sends for `body` at Unix time `now`."""
    seconds = str(int(now))
    if provider == "tally":
        return {"Tally-Signature": _b64(_mac(secret, body))}
    if provider == "typeform":
        return {"Typeform-Signature": "sha256=" + _b64(_mac(secret, body))}
    if provider == "webflow":
        millis = str(int(now * 1000))
        signature = _mac(secret, f"{millis}:".encode() + body).hex()
        return {"x-webflow-timestamp": millis, "x-webflow-signature": signature}
    if provider == "framer":
        return {"Framer-Signature": "sha256=" + _mac(secret, body + FRAMER_ID.encode()).hex()}
    if provider == "wpforms":
        signature = _mac(secret, f"{seconds}.".encode() + body).hex()
        return {"X-WPForms-Webhook-Signature": f"t={seconds},v={signature}"}
    if provider == "formspree":
        signature = _mac(secret, f"{seconds}.".encode() + body).hex()
        return {"Formspree-Signature": f"t={seconds},v1={signature}"}
    if provider == "netlify":
        claims = {"iss": "netlify", "sha256": hashlib.sha256(body).hexdigest()}
        return {"X-Webhook-Signature": jwt.encode(claims, secret, algorithm="HS256")}
    if provider == "google-forms":
        signature = _b64(_mac(secret, f"{seconds}.".encode() + body))
        return {"X-Gforms-Signature": f"t={seconds},v1={signature}"}
    raise ValueError(f"{provider} does not sign its deliveries")


SIGNED_PROVIDERS = [
    "tally", "typeform", "webflow", "framer", "wpforms", "formspree", "netlify", "google-forms",
]  # fmt: skip
TIMESTAMPED_PROVIDERS = ["webflow", "wpforms", "formspree", "google-forms"]
UNSIGNED_PROVIDERS = ["form", "fillout", "jotform", "contact-form-7", "elementor"]


def first_sample(provider: str) -> Sample:
    return next(sample for sample in SAMPLES if sample.provider == provider)
