"""`deme auth google`: authorise deme's Google account and store the credentials.

With an OAuth client of type "Desktop app" (GOOGLE_CREDENTIALS_FILE), the installed-app
flow of google-auth-oauthlib opens Google's consent page in the browser and receives a
refresh token. With a service account or an authorized-user file, the credentials are
checked by refreshing them once. Either way the result is stored in PostgreSQL, which
re-queues the runs that waited in `needs_reauth`.
"""

import os
from dataclasses import dataclass
from typing import Any

import structlog
from google.auth.transport.requests import Request
from google_auth_oauthlib.flow import InstalledAppFlow

from backend.config import Settings
from backend.errors import ConfigurationError
from backend.integrations.google import SCOPES
from backend.integrations.google_auth import TokenStore, is_permanent_refresh_error
from backend.integrations.google_credentials import (
    CLIENT_TYPES,
    load_google_credentials,
    read_credentials_file,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Authorization:
    """The outcome of `deme auth google`."""

    kind: str
    scopes: list[str]
    runs_requeued: list[str]


def _client_config(settings: Settings) -> tuple[str, dict[str, Any]]:
    if settings.google_credentials_file is None:
        raise ConfigurationError(
            "GOOGLE_CREDENTIALS_FILE is not set; download an OAuth client of type "
            "'Desktop app' (or a service account key) from the Google Cloud console and "
            "set GOOGLE_CREDENTIALS_FILE to its path"
        )
    info = read_credentials_file(settings.google_credentials_file)
    kind = info.get("type") or next((key for key in CLIENT_TYPES if key in info), "")
    return kind, info


def authorize(
    settings: Settings,
    *,
    port: int = 0,
    open_browser: bool = True,
    prompt_message: str = "Open this address to authorise deme:\n{url}",
) -> Authorization:
    """Run the authorisation for the configured credentials and store the result (blocking)."""
    store = TokenStore.from_settings(settings)
    kind, info = _client_config(settings)
    if kind in CLIENT_TYPES:
        stored = _installed_app_flow(settings, kind, info, port, open_browser, prompt_message)
        requeued = store.replace(stored)
        return Authorization("authorized_user", stored["scopes"], requeued)
    if kind == "authorized_user":
        _check_refresh(settings)
        stored = {key: info.get(key) for key in ("refresh_token", "client_id", "client_secret")}
        stored.update(type="authorized_user", token_uri=settings.google_token_uri
                      or info.get("token_uri"), scopes=list(SCOPES))
        return Authorization(kind, list(SCOPES), store.replace(stored))
    if kind == "service_account":
        _check_refresh(settings)
        stored = {"type": "service_account", "client_email": info.get("client_email")}
        return Authorization(kind, list(SCOPES), store.replace(stored))
    raise ConfigurationError(
        f"GOOGLE_CREDENTIALS_FILE has type {kind!r}; `deme auth google` needs an OAuth "
        "client (Desktop app), an authorized-user file or a service account key"
    )


def _installed_app_flow(
    settings: Settings,
    kind: str,
    info: dict[str, Any],
    port: int,
    open_browser: bool,
    prompt_message: str,
) -> dict[str, Any]:
    client = dict(info[kind])
    if settings.google_token_uri:
        client["token_uri"] = settings.google_token_uri
    if client.get("token_uri", "").startswith("http://127.0.0.1"):
        # oauthlib insists on https; the emulator on loopback is plain http.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    flow = InstalledAppFlow.from_client_config({kind: client}, scopes=list(SCOPES))
    credentials = flow.run_local_server(
        host="localhost",
        bind_addr="127.0.0.1",
        port=port,
        open_browser=open_browser,
        authorization_prompt_message=prompt_message,
        success_message="deme is authorised. You may close this tab.",
        timeout_seconds=600,
        access_type="offline",
        prompt="consent",
    )
    if not credentials.refresh_token:
        raise ConfigurationError(
            "Google returned no refresh token; remove deme's access at "
            "https://myaccount.google.com/permissions and run `deme auth google` again"
        )
    granted = list(credentials.granted_scopes or credentials.scopes or SCOPES)
    log.info("google_auth.consented", scopes=len(granted))
    return {
        "type": "authorized_user",
        "token": credentials.token,
        "refresh_token": credentials.refresh_token,
        "client_id": client.get("client_id"),
        "client_secret": client.get("client_secret"),
        "token_uri": client.get("token_uri"),
        "expiry": credentials.expiry.isoformat() + "+00:00" if credentials.expiry else None,
        "scopes": granted,
    }


def _check_refresh(settings: Settings) -> None:
    credentials = load_google_credentials(settings)
    inner = getattr(credentials, "_inner", credentials)
    try:
        inner.refresh(Request())
    except Exception as exc:  # noqa: BLE001 - google-auth raises several kinds
        hint = (
            "an administrator must authorise the service account's client id for these "
            "scopes (Admin console → Security → API controls → Domain-wide delegation)"
            if is_permanent_refresh_error(exc)
            else "check the network and the credentials file"
        )
        raise ConfigurationError(f"Google credentials refresh failed ({exc}); {hint}") from exc
