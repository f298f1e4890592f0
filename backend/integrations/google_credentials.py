"""Google credentials: a service account, an authorized-user file, or the emulator's token."""

import json
from pathlib import Path

from google.auth.credentials import Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from backend.config import Settings
from backend.errors import ConfigurationError
from backend.integrations.google import SCOPES

# The emulator accepts any bearer token; this one makes requests recognisable in its log.
EMULATOR_TOKEN = "deme-emulator-token"


def load_google_credentials(settings: Settings) -> Credentials:
    """Return credentials from GOOGLE_CREDENTIALS_FILE, or a static token for the emulator."""
    path = settings.google_credentials_file
    if path is None:
        return user_credentials.Credentials(token=EMULATOR_TOKEN)
    info = _read_credentials_file(path)
    kind = info.get("type")
    if kind == "service_account":
        creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
        if settings.google_subject:
            creds = creds.with_subject(settings.google_subject)
        return creds
    if kind == "authorized_user":
        return user_credentials.Credentials.from_authorized_user_info(info, scopes=list(SCOPES))
    raise ConfigurationError(
        f"GOOGLE_CREDENTIALS_FILE {path} has type {kind!r}; expected 'service_account' "
        "or 'authorized_user' (the JSON written by `gcloud auth` or the Cloud console)"
    )


def _read_credentials_file(path: Path) -> dict:
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
