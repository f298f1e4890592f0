"""Settings that make deme treat the emulator as real Google: OAuth credentials, token store."""

import json
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr

from backend.config import Settings
from backend.emulator import RunningEmulator, bootstrap
from backend.emulator.oauth import issue_refresh_token

CLIENT_ID = "deme-test.apps.googleusercontent.com"
CLIENT_SECRET = "test-client-secret"


def authorized_user_file(folder: Path, emulator: RunningEmulator) -> Path:
    """Write an authorized-user file whose refresh token the emulator issued."""
    path = folder / "authorized_user.json"
    info = {
        "type": "authorized_user",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": issue_refresh_token(emulator.store),
        "token_uri": f"{emulator.url}/token",
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def installed_client_file(folder: Path, emulator: RunningEmulator) -> Path:
    """Write an OAuth client of type Desktop app, as the Cloud console downloads it."""
    path = folder / "client_secret.json"
    client = {
        "installed": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "auth_uri": f"{emulator.url}/o/oauth2/auth",
            "token_uri": f"{emulator.url}/token",
            "redirect_uris": ["http://localhost"],
        }
    }
    path.write_text(json.dumps(client), encoding="utf-8")
    return path


def real_google_settings(settings: Settings, credentials_file: Path, **changes: object) -> Settings:
    """Copy `settings` so Google is "real" (credentials set) but served by the emulator."""
    update = {
        "google_credentials_file": credentials_file,
        "google_base_url": settings.emulator_url,
        "google_token_uri": f"{settings.emulator_url}/token",
        "token_encryption_key": SecretStr(Fernet.generate_key().decode()),
        "google_template_spreadsheet_id": bootstrap.TEMPLATE_SPREADSHEET_ID,
        "google_pool_folder_id": bootstrap.POOL_FOLDER_ID,
        **changes,
    }
    return settings.model_copy(update=update)
