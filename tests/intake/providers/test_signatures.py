"""Each provider's signature scheme over the raw bytes: good, wrong, stale and altered."""

import pytest

from backend.intake.providers import PROVIDERS, SignatureError, get_provider

from .samples import (
    SECRET,
    SIGNED_PROVIDERS,
    TIMESTAMPED_PROVIDERS,
    UNSIGNED_PROVIDERS,
    first_sample,
    sign,
)

NOW = 1_804_000_000.0  # 2027-03-02, seconds since the epoch
KEY = SECRET.encode()


def verify(provider_name: str, body: bytes, headers: dict[str, str], now: float = NOW) -> None:
    sample = first_sample(provider_name)
    get_provider(provider_name).verify(sample.delivery(body, headers), KEY, now)


@pytest.mark.parametrize("provider", SIGNED_PROVIDERS)
def test_correct_signature_passes(provider):
    body = first_sample(provider).body

    verify(provider, body, sign(provider, body, SECRET, NOW))


@pytest.mark.parametrize("provider", SIGNED_PROVIDERS)
def test_accented_body_bytes_verify(provider):
    body = first_sample(provider).body
    assert any(byte > 0x7F for byte in body) or b"\\u00" in body

    verify(provider, body, sign(provider, body, SECRET, NOW))


@pytest.mark.parametrize("provider", SIGNED_PROVIDERS)
def test_wrong_secret_fails(provider):
    body = first_sample(provider).body
    headers = sign(provider, body, SECRET + "x", NOW)

    with pytest.raises(SignatureError):
        verify(provider, body, headers)


@pytest.mark.parametrize("provider", SIGNED_PROVIDERS)
def test_body_changed_after_signing_fails(provider):
    body = first_sample(provider).body
    headers = sign(provider, body, SECRET, NOW)
    index = body.index(b"Merci")
    changed = body[:index] + b"m" + body[index + 1 :]

    with pytest.raises(SignatureError):
        verify(provider, changed, headers)


@pytest.mark.parametrize("provider", SIGNED_PROVIDERS)
def test_missing_signature_fails(provider):
    with pytest.raises(SignatureError):
        verify(provider, first_sample(provider).body, {})


@pytest.mark.parametrize("provider", TIMESTAMPED_PROVIDERS)
@pytest.mark.parametrize("age", [301.0, -301.0])
def test_stale_timestamp_fails(provider, age):
    body = first_sample(provider).body
    headers = sign(provider, body, SECRET, NOW - age)

    with pytest.raises(SignatureError, match="300 s"):
        verify(provider, body, headers)


@pytest.mark.parametrize("provider", TIMESTAMPED_PROVIDERS)
def test_timestamp_within_tolerance_passes(provider):
    body = first_sample(provider).body

    verify(provider, body, sign(provider, body, SECRET, NOW - 299), NOW)


@pytest.mark.parametrize("provider", TIMESTAMPED_PROVIDERS)
def test_timestamp_swapped_after_signing_fails(provider):
    body = first_sample(provider).body
    headers = sign(provider, body, SECRET, NOW)
    fresher = sign(provider, body, SECRET, NOW + 60)
    # Keep the first signature but claim the later send time.
    for name, value in headers.items():
        if "timestamp" in name:
            headers[name] = fresher[name]
        elif value.startswith("t="):
            headers[name] = value.replace(f"t={int(NOW)}", f"t={int(NOW) + 60}")

    with pytest.raises(SignatureError):
        verify(provider, body, headers)


def test_netlify_token_for_other_body_fails():
    body = first_sample("netlify").body
    headers = sign("netlify", b"{}", SECRET, NOW)

    with pytest.raises(SignatureError, match="another body"):
        verify("netlify", body, headers)


def test_wpforms_urlencoded_cannot_be_verified():
    sample = first_sample("wpforms")
    body = b"Nom=%C3%89lodie"
    headers = sign("wpforms", body, SECRET, NOW)
    delivery = sample.delivery(body, headers)
    delivery = type(delivery)(body, "application/x-www-form-urlencoded", delivery.headers)

    with pytest.raises(SignatureError, match="Request Format to JSON"):
        get_provider("wpforms").verify(delivery, KEY, NOW)


def test_google_forms_signature_is_base64():
    body = first_sample("google-forms").body
    [header] = sign("google-forms", body, SECRET, NOW).values()
    hex_signature = header.split("v1=")[0] + "v1=" + "ab" * 32

    with pytest.raises(SignatureError):
        verify("google-forms", body, {"X-Gforms-Signature": hex_signature})


def test_unsigned_providers_have_no_verifier():
    for name in UNSIGNED_PROVIDERS:
        assert PROVIDERS[name].verify is None, name
