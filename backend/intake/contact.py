"""Email addresses and phone numbers from a form, checked and normalised."""

import re

import phonenumbers

from backend.intake.problems import Problem

# A practical syntax check, not full RFC 5322: one "@", no spaces, a dotted domain whose
# labels are letters, digits and inner hyphens, and no dot at either end of the local part.
_EMAIL = re.compile(
    r"^(?!\.)[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+(?<!\.)"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)

# Numbers written without a country code are read as French numbers.
DEFAULT_PHONE_REGION = "FR"


def normalize_email(raw: str | None) -> tuple[str | None, list[Problem]]:
    """Return the email trimmed and in lower case, or None with a problem if invalid.

    An empty value gives None and no problem: a missing contact is reported once, by
    the caller, when both email and phone are missing.
    """
    if raw is None or not raw.strip():
        return None, []
    email = raw.strip().lower()
    if _EMAIL.match(email) is None or ".." in email:
        return None, [
            Problem(
                code="email_invalid",
                message=f'invalid email address: "{raw.strip()}"',
                field="email",
            )
        ]
    return email, []


def normalize_phone(raw: str | None) -> tuple[str | None, list[Problem]]:
    """Return the phone number in E.164 format ("+33600000001"), or None with a problem.

    Numbers without a country code are read as French ("06 00 00 00 01", "0033 6…").
    An empty value gives None and no problem.
    """
    if raw is None or not raw.strip():
        return None, []
    try:
        number = phonenumbers.parse(raw, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return None, [
            Problem(
                code="phone_invalid",
                message=f'invalid phone number: "{raw.strip()}"',
                field="phone",
            )
        ]
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), []
