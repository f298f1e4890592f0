"""POST /pool/refill: a bearer token or a Google OIDC token verified against served certs."""

import datetime
import time

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt
from pydantic import SecretStr

from backend.app import create_app
from backend.emulator.oauth import set_oidc_certs

REFILL_TOKEN = "refill-secret-token"
AUDIENCE = "https://deme.example/pool/refill"
SCHEDULER_EMAIL = "scheduler@deme-project.iam.gserviceaccount.com"
KEY_ID = "test-key-1"


def _signing_key() -> tuple[str, str]:
    """Return a private key and a self-signed certificate, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deme test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def signing_key() -> tuple[str, str]:
    return _signing_key()


def _oidc_token(private_pem: str, **claims: object) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "sub": "1234567890",
        "email": SCHEDULER_EMAIL,
        "email_verified": True,
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    signer = crypt.RSASigner.from_string(private_pem, KEY_ID)
    return jwt.encode(signer, payload).decode()


@pytest.fixture
async def refill_client(db, settings, emulator, signing_key):
    set_oidc_certs(emulator.store, {KEY_ID: signing_key[1]})
    refill_settings = settings.model_copy(
        update={
            "pool_refill_token": SecretStr(REFILL_TOKEN),
            "pool_refill_oidc_audience": AUDIENCE,
            "pool_refill_oidc_email": SCHEDULER_EMAIL,
            "google_oidc_certs_url": f"{emulator.url}/oauth2/v1/certs",
            "template_pool_target": 5,
        }
    )
    app = create_app(refill_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_refill_with_bearer_token(refill_client):
    response = await refill_client.post(
        "/pool/refill", headers={"Authorization": f"Bearer {REFILL_TOKEN}"}
    )

    assert response.status_code == 200
    assert response.json()["available"] == 5


async def test_refill_with_scheduler_oidc_token(refill_client, signing_key):
    token = _oidc_token(signing_key[0])

    response = await refill_client.post(
        "/pool/refill", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200
    assert response.json()["target"] == 5


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://other.example/"},
        {"iss": "https://evil.example"},
        {"email": "someone@example.com"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
    ],
    ids=["audience", "issuer", "email", "expired"],
)
async def test_refill_rejects_bad_oidc_token(refill_client, signing_key, claims):
    token = _oidc_token(signing_key[0], **claims)

    response = await refill_client.post(
        "/pool/refill", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401


async def test_refill_rejects_token_signed_by_unknown_key(refill_client):
    token = _oidc_token(_signing_key()[0])

    response = await refill_client.post(
        "/pool/refill", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401


async def test_refill_rejects_wrong_bearer(refill_client):
    response = await refill_client.post(
        "/pool/refill", headers={"Authorization": "Bearer nope"}
    )

    assert response.status_code == 401


async def test_refill_closed_without_settings(client):
    response = await client.post("/pool/refill", headers={"Authorization": "Bearer x"})

    assert response.status_code == 401
    assert "POOL_REFILL_TOKEN" in response.json()["detail"]
