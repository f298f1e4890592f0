"""Google credentials: a service account, an authorized user, an OAuth client, or the emulator.

GOOGLE_CREDENTIALS_FILE selects the kind by its `type`: a service account key
(`service_account`, with GOOGLE_SUBJECT for domain-wide delegation), an authorized-user
file (`authorized_user`), or an OAuth client of type "Desktop app" (`installed`), whose
user tokens `deme auth google` stores in PostgreSQL. See `google_auth` for refresh,
storage and revocation.
"""

import json
from pathlib import Path
from typing import Any

import structlog
from google.auth.credentials import Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from backend.config import Settings
from backend.errors import ConfigurationError
from backend.integrations.google import SCOPES
from backend.integrations.google_auth import (
    TokenStore,
    WorkspaceCredentials,
    user_credentials_from_info,
)

log = structlog.get_logger(__name__)

# The emulator accepts any bearer token; this one makes requests recognisable in its log.
EMULATOR_TOKEN = "deme-emulator-token"
CLIENT_TYPES = ("installed", "web")


def load_google_credentials(settings: Settings) -> Credentials:
    """Return credentials from GOOGLE_CREDENTIALS_FILE, or a static token for the emulator."""
    path = settings.google_credentials_file
    if path is None:
        return user_credentials.Credentials(token=EMULATOR_TOKEN)
    info = read_credentials_file(path)
    kind = info.get("type") or next((key for key in CLIENT_TYPES if key in info), None)
    token_uri = settings.google_token_uri
    if kind == "service_account":
        if token_uri:
            info = {**info, "token_uri": token_uri}
        creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
        if settings.google_subject:
            creds = creds.with_subject(settings.google_subject)
        return WorkspaceCredentials(creds, store=_optional_store(settings), kind=kind)
    if kind == "authorized_user":
        creds = user_credentials_from_info({**info, "scopes": list(SCOPES)}, token_uri)
        return WorkspaceCredentials(
            creds, store=_optional_store(settings), kind=kind, token_uri=token_uri
        )
    if kind in CLIENT_TYPES:
        client = info[kind]
        creds = user_credentials.Credentials(
            token=None,
            token_uri=token_uri or client.get("token_uri"),
            client_id=client.get("client_id"),
            client_secret=client.get("client_secret"),
            scopes=list(SCOPES),
        )
        # The user's tokens live only in PostgreSQL, so the store is required.
        return WorkspaceCredentials(
            creds,
            store=TokenStore.from_settings(settings),
            kind="authorized_user",
            token_uri=token_uri or client.get("token_uri"),
        )
    raise ConfigurationError(
        f"GOOGLE_CREDENTIALS_FILE {path} has type {kind!r}; expected a service account key "
        "('service_account'), an authorized-user file ('authorized_user') or an OAuth "
        "client of type Desktop app ('installed'), as downloaded from the Cloud console"
    )


def _optional_store(settings: Settings) -> TokenStore | None:
    if settings.token_encryption_key is None:
        log.warning(
            "google_auth.not_persisted",
            reason="TOKEN_ENCRYPTION_KEY is unset; refreshed tokens stay in memory",
        )
        return None
    return TokenStore.from_settings(settings)


def read_credentials_file(path: Path) -> dict[str, Any]:
    """Read GOOGLE_CREDENTIALS_FILE; raises ConfigurationError naming the problem."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"GOOGLE_CREDENTIALS_FILE {path} does not exist; fix the path or unset it "
            "to use the local emulator"
        ) from exc
    except ValueError as exc:
        raise ConfigurationError(
            f"GOOGLE_CREDENTIALS_FILE {path} is not valid JSON: {exc}"
        ) from exc
    if not isinstance(info, dict):
        raise ConfigurationError(f"GOOGLE_CREDENTIALS_FILE {path} must contain a JSON object")
    return info
