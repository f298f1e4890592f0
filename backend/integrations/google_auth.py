"""Google credentials that survive expiry: stored encrypted in PostgreSQL, refreshed safely.

deme acts as one Google account: a user who authorised it (`deme auth google`, the OAuth
installed-app flow) or a service account with domain-wide delegation. Access tokens
last an hour and are refreshed by google-auth; each refresh is written to the
`oauth_tokens` table (Fernet-encrypted with TOKEN_ENCRYPTION_KEY), so a restart keeps
them. When Google answers `invalid_grant` (a refresh token expired after 7 days of an
app left in "Testing", revoked, or a password change), the credentials remember it and
every later call fails at once with the same error, instead of asking Google again.
Storing new credentials re-queues the runs that waited in `needs_reauth`.

Refreshes happen in the worker threads google-api-python-client calls run in, so the
token store uses a short synchronous psycopg connection of its own.
"""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog
from cryptography.fernet import Fernet, InvalidToken
from google.auth import credentials as auth_credentials
from google.auth.exceptions import RefreshError
from google.auth.transport import Request
from google.oauth2 import credentials as user_credentials

from backend.config import Settings
from backend.errors import ConfigurationError

log = structlog.get_logger(__name__)

PROVIDER = "google"
DEFAULT_SUBJECT = "workspace"
REAUTH_FIX = "run `deme auth google` to authorise deme again"
# Token endpoint errors that only a person can fix (RFC 6749 section 5.2).
PERMANENT_ERRORS = ("invalid_grant", "invalid_client", "unauthorized_client")


def generate_key() -> str:
    """Return a new TOKEN_ENCRYPTION_KEY (a urlsafe base64 Fernet key)."""
    return Fernet.generate_key().decode()


def token_subject(settings: Settings) -> str:
    """Return the key of deme's Google credentials in `oauth_tokens`."""
    return settings.google_subject or DEFAULT_SUBJECT


@dataclass(frozen=True)
class StoredToken:
    """One decrypted row of `oauth_tokens`."""

    info: dict[str, Any]
    updated_at: datetime

    @property
    def generation(self) -> int:
        return int(self.info.get("generation", 0))

    @property
    def revoked(self) -> str | None:
        return self.info.get("revoked")


class TokenStore:
    """Encrypted Google credentials in PostgreSQL, read and written with psycopg (blocking)."""

    def __init__(
        self,
        libpq_url: str | Callable[[], str],
        key: str,
        *,
        subject: str = DEFAULT_SUBJECT,
    ) -> None:
        self._url_source = libpq_url
        self._resolved_url: str | None = None
        self._fernet = Fernet(key.encode())
        self.subject = subject

    @property
    def _url(self) -> str:
        # Resolved on first use: finding the embedded server may start it, which blocks.
        if self._resolved_url is None:
            source = self._url_source
            self._resolved_url = source if isinstance(source, str) else source()
        return self._resolved_url

    @classmethod
    def from_settings(cls, settings: Settings, libpq_url: str | None = None) -> "TokenStore":
        """Build the store; raises ConfigurationError when TOKEN_ENCRYPTION_KEY is unset."""
        key = settings.token_encryption_key
        if key is None:
            raise ConfigurationError(
                "TOKEN_ENCRYPTION_KEY is not set, so deme cannot store Google credentials; "
                "run `deme auth key` and put the key it prints in .env"
            )
        def find_url() -> str:
            # `deme auth google` may be the first command run: bring the schema up first.
            from backend.db.embedded import ensure_database
            from backend.db.migrate import run_migrations

            urls = ensure_database(settings)
            run_migrations(urls)
            return urls.libpq

        try:
            return cls(
                libpq_url or find_url, key.get_secret_value(), subject=token_subject(settings)
            )
        except ValueError as exc:
            raise ConfigurationError(
                "TOKEN_ENCRYPTION_KEY is not a valid Fernet key (32 bytes, urlsafe base64); "
                "run `deme auth key` for a new one"
            ) from exc

    def _decrypt(self, blob: bytes) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(bytes(blob)))
        except InvalidToken as exc:
            raise ConfigurationError(
                "the Google credentials stored in PostgreSQL do not decrypt with "
                "TOKEN_ENCRYPTION_KEY (was the key changed?); restore the old key or "
                "run `deme auth google` again"
            ) from exc

    def load(self) -> StoredToken | None:
        with psycopg.connect(self._url) as connection:
            row = connection.execute(
                "SELECT encrypted_credentials, updated_at FROM oauth_tokens "
                "WHERE provider = %s AND subject = %s",
                (PROVIDER, self.subject),
            ).fetchone()
        if row is None:
            return None
        return StoredToken(self._decrypt(row[0]), row[1])

    def replace(self, info: dict[str, Any]) -> list[str]:
        """Store new credentials (a new generation) and re-queue runs waiting for them.

        Returns the ids of the re-queued runs. Both happen in one transaction, so a run
        is resumed only once the credentials it needs are there.
        """
        with psycopg.connect(self._url) as connection, connection.transaction():
            current = self._locked(connection)
            generation = (current.generation if current else 0) + 1
            stored = {**info, "generation": generation, "revoked": None}
            self._write(connection, stored)
            rows = connection.execute(
                "UPDATE runs SET status = 'queued', locked_by = NULL, finished_at = NULL, "
                "updated_at = now() WHERE status = 'needs_reauth' RETURNING id"
            ).fetchall()
        requeued = [str(row[0]) for row in rows]
        log.info("google_auth.stored", generation=generation, runs_requeued=len(requeued))
        return requeued

    def update(self, generation: int, changes: dict[str, Any]) -> bool:
        """Merge `changes` into the stored record if it is still `generation`; return whether.

        A refresh in one process must not overwrite credentials that `deme auth google`
        stored meanwhile in another.
        """
        with psycopg.connect(self._url) as connection, connection.transaction():
            current = self._locked(connection)
            current_generation = current.generation if current else 0
            if current_generation != generation:
                return False
            info = {**(current.info if current else {}), **changes, "generation": generation}
            self._write(connection, info)
        return True

    def _locked(self, connection: psycopg.Connection) -> StoredToken | None:
        row = connection.execute(
            "SELECT encrypted_credentials, updated_at FROM oauth_tokens "
            "WHERE provider = %s AND subject = %s FOR UPDATE",
            (PROVIDER, self.subject),
        ).fetchone()
        return StoredToken(self._decrypt(row[0]), row[1]) if row else None

    def _write(self, connection: psycopg.Connection, info: dict[str, Any]) -> None:
        blob = self._fernet.encrypt(json.dumps(info).encode())
        connection.execute(
            "INSERT INTO oauth_tokens (provider, subject, encrypted_credentials) "
            "VALUES (%s, %s, %s) ON CONFLICT (provider, subject) DO UPDATE "
            "SET encrypted_credentials = excluded.encrypted_credentials, updated_at = now()",
            (PROVIDER, self.subject, blob),
        )


def is_permanent_refresh_error(exc: Exception) -> bool:
    """Return True when a refresh failed for good: only new authorisation can fix it."""
    text = str(exc)
    return any(code in text for code in PERMANENT_ERRORS)


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value else None


def _naive_utc(text: str | None) -> datetime | None:
    # google-auth compares expiry with a naive UTC datetime.
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def user_credentials_from_info(info: dict[str, Any], token_uri: str | None) -> Any:
    """Build google-auth user credentials from a stored or authorized-user record."""
    return user_credentials.Credentials(
        token=info.get("token"),
        refresh_token=info.get("refresh_token"),
        token_uri=token_uri or info.get("token_uri"),
        client_id=info.get("client_id"),
        client_secret=info.get("client_secret"),
        scopes=info.get("scopes"),
        expiry=_naive_utc(info.get("expiry")),
    )


class WorkspaceCredentials(auth_credentials.Credentials):
    """deme's Google credentials: refresh once for all threads, persist, remember revocation.

    Wraps user or service-account credentials (`inner`). With a `store`, the stored
    record is checked before each refresh, so credentials stored by `deme auth google`
    in another process are adopted without a restart.
    """

    def __init__(
        self,
        inner: Any,
        *,
        store: TokenStore | None,
        kind: str,
        token_uri: str | None = None,
    ) -> None:
        super().__init__()
        self._inner = inner
        self._store = store
        self._kind = kind
        self._token_uri = token_uri
        self._lock = threading.Lock()
        self._generation: int | None = None
        self.revoked_reason: str | None = None
        self.token = inner.token
        self.expiry = inner.expiry

    @property
    def scopes(self) -> list[str]:
        return list(getattr(self._inner, "scopes", None) or [])

    @property
    def needs_reauth(self) -> bool:
        return self.revoked_reason is not None

    def refresh(self, request: Request) -> None:
        stale_token = self.token
        with self._lock:
            if self.token != stale_token and self.valid:
                return  # another thread refreshed while this one waited
            self._adopt_stored()
            if self.revoked_reason is not None:
                raise RefreshError(f"{self.revoked_reason}; {REAUTH_FIX}", retryable=False)
            try:
                self._inner.refresh(request)
            except RefreshError as exc:
                if is_permanent_refresh_error(exc):
                    self._remember_revoked(str(exc.args[0] if exc.args else exc))
                    raise RefreshError(
                        f"{self.revoked_reason}; {REAUTH_FIX}", retryable=False
                    ) from exc
                raise
            self.token = self._inner.token
            self.expiry = self._inner.expiry
            self._persist({"token": self.token, "expiry": _iso(self.expiry)})
        log.info("google_auth.refreshed", kind=self._kind)

    def _adopt_stored(self) -> None:
        if self._store is None:
            return
        stored = self._store.load()
        if stored is None or stored.generation == self._generation:
            return
        self._generation = stored.generation
        self.revoked_reason = stored.revoked
        if self._kind == "authorized_user" and stored.info.get("refresh_token"):
            self._inner = user_credentials_from_info(stored.info, self._token_uri)
            self.token = self._inner.token
            self.expiry = self._inner.expiry
        log.info("google_auth.adopted", generation=stored.generation, revoked=bool(stored.revoked))

    def _remember_revoked(self, reason: str) -> None:
        self.revoked_reason = reason
        log.error("google_auth.revoked", reason=reason, fix=REAUTH_FIX)
        self._persist({"revoked": reason})

    def _persist(self, changes: dict[str, Any]) -> None:
        if self._store is None:
            return
        generation = self._generation or 0
        try:
            if generation == 0 and self._kind == "authorized_user":
                return  # nothing stored yet: keep the credentials file as the source
            if not self._store.update(generation, changes):
                log.info("google_auth.newer_stored", generation=generation)
        except psycopg.Error as exc:
            log.warning("google_auth.persist_failed", error=type(exc).__name__)
