"""A service account with domain-wide delegation, signed with a real key, against the emulator."""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.integrations.google_auth import TokenStore
from backend.setup.authorize import authorize
from backend.setup.google import open_google_gateway

from .google_helpers import real_google_settings

pytestmark = pytest.mark.usefixtures("db")


def _service_account_file(folder, emulator):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = folder / "service_account.json"
    path.write_text(json.dumps({
        "type": "service_account",
        "project_id": "deme-test",
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "deme@deme-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": f"{emulator.url}/token",
    }), encoding="utf-8")
    return path


async def test_service_account_acts_as_mailbox(settings, emulator, tmp_path):
    google_settings = real_google_settings(
        settings,
        _service_account_file(tmp_path, emulator),
        google_subject=settings.business_email,
    )

    result = authorize(google_settings)
    google = open_google_gateway(google_settings)
    file = await google.get_file(google_settings.google_template_spreadsheet_id)

    stored = TokenStore.from_settings(google_settings).load()
    assert result.kind == "service_account"
    assert file["id"] == google_settings.google_template_spreadsheet_id
    assert stored.info["client_email"] == "deme@deme-test.iam.gserviceaccount.com"
    assert google._credentials._inner._subject == settings.business_email
