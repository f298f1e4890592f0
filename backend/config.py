"""Settings read from the environment and `.env` (pydantic-settings).

With no Notion token and no Google credentials, deme talks to its local emulator;
with no DATABASE_URL, it starts an embedded PostgreSQL under `data_dir`.
"""

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    """Every setting deme reads; `.env.example` lists them with their defaults."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Storage
    data_dir: Path = Field(Path(".deme"), description="Embedded database and emulator state")
    database_url: SecretStr | None = Field(
        None, description="postgresql://… of an external server; unset = embedded PostgreSQL"
    )

    # Business
    business_name: str = "Traiteur deme"
    business_email: str = "contact@traiteur.example"
    timezone: str = "Europe/Paris"
    catalog_path: Path = PACKAGE_DIR / "data" / "catalog.json"
    max_events_per_day: int = Field(2, ge=1, description="Prestations the caterer serves a day")
    guests_per_server: int = Field(25, ge=1, description="House rule for per-hour staff lines")

    # Notion
    notion_token: SecretStr | None = None
    notion_base_url: str | None = Field(
        None, description="API root; unset = https://api.notion.com, or the emulator"
    )
    notion_clients_data_source_id: str | None = None
    notion_prestations_data_source_id: str | None = None
    notion_quote_lines_data_source_id: str | None = None

    # Google
    google_credentials_file: Path | None = Field(
        None, description="Service account JSON or authorized-user JSON"
    )
    google_subject: str | None = Field(
        None, description="Mailbox impersonated by a service account (domain-wide delegation)"
    )
    google_base_url: str | None = Field(
        None, description="Root serving drive/v3, sheets/v4, calendar/v3, gmail/v1; unset = Google"
    )
    google_calendar_id: str = "primary"
    google_template_spreadsheet_id: str | None = None
    google_pool_folder_id: str | None = None
    template_pool_target: int = Field(10, ge=0, description="Sheets kept ready in the pool")
    template_pool_seed: Path = Path("template_pool.json")

    # External calls
    http_timeout_seconds: float = Field(30.0, gt=0)
    retry_max_attempts: int = Field(5, ge=1, description="Attempts per external call")
    retry_base_delay_seconds: float = Field(0.5, ge=0)
    retry_max_delay_seconds: float = Field(30.0, ge=0)

    # Emulator (used when Notion or Google credentials are missing)
    emulator_url: str | None = Field(
        None, description="Use an emulator already running there instead of starting one"
    )
    emulator_latency: str = Field(
        "none", description="Latency profile: none, realistic, or a JSON object per service (ms)"
    )

    # API
    api_token: SecretStr | None = Field(None, description="Bearer token for staff endpoints")
    max_body_bytes: int = Field(1_000_000, ge=1024)

    # Pipeline
    default_event_hours: Decimal | None = Field(
        None, description="Overrides the catalog's default event length (hours)"
    )

    # Search (prestation index and queries)
    search_embedding_provider: Literal["auto", "hashing", "openai"] = Field(
        "auto",
        description="Embeddings of prestations: auto = openai when an API key is set, "
        "else hashing (offline, no download)",
    )
    search_embedding_dimensions: int = Field(
        384, ge=16, le=2000, description="Vector size; a change needs `deme search reindex`"
    )
    search_openai_model: str = "text-embedding-3-small"
    search_openai_base_url: str | None = Field(
        None, description="OpenAI-compatible API root; unset = https://api.openai.com/v1"
    )
    search_openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("search_openai_api_key", "openai_api_key")
    )
    search_candidates: int = Field(
        50, ge=1, le=1000, description="Results taken from each ranking before fusion"
    )
    search_rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant")
    search_hnsw_ef_search: int = Field(
        240, ge=1, le=1000, description="HNSW candidate list size at query time"
    )

    # Webhooks (form providers, signatures, transport limits)
    webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='Secret per "provider" or "provider/form", as JSON: {"tally": "…"}',
    )
    form_mappings_path: Path | None = Field(
        None, description="JSON file of form labels per provider or form; unset = defaults"
    )
    webhook_dedup_window_seconds: float = Field(
        86_400.0, gt=0, description="Same content from a provider without ids is one inquiry"
    )
    webhook_rate_limit_per_minute: float = Field(
        60.0, gt=0, description="Deliveries accepted per minute per client IP and provider"
    )
    webhook_rate_limit_burst: int = Field(
        20, ge=1, description="Deliveries one client IP may send at once to one provider"
    )

    # Execution (workers, Celery, rate limits)
    # Each deme process opens up to 24 database connections (20 pooled, 4 for checkpoints)
    # and the embedded PostgreSQL allows 100, so the parent and 3 HTTP processes fit.
    web_processes: int = Field(
        1,
        ge=1,
        le=3,
        description="HTTP processes of `deme serve`; above 1, runs execute in the parent process",
    )
    worker_concurrency: int = Field(4, ge=1, description="Runs one worker process executes at once")
    worker_heartbeat_seconds: float = Field(
        5.0, gt=0, description="Interval between a running run's heartbeats (seconds)"
    )
    worker_stale_after_seconds: float = Field(
        60.0, gt=0, description="A running run with no heartbeat for this long is taken over"
    )
    worker_poll_seconds: float = Field(
        5.0, gt=0, description="How often an idle direct worker checks the queue (seconds)"
    )
    celery_broker_url: SecretStr | None = Field(
        None, description="redis://… or redis+socket://PATH; set = Celery mode (`deme worker`)"
    )
    celery_sweep_seconds: float = Field(
        30.0, gt=0, description="Beat interval of the sweep that re-queues stale runs (seconds)"
    )
    notion_requests_per_second: float | None = Field(
        None,
        gt=0,
        description="Notion calls per second shared by every worker; unset = 3 against "
        "Notion (its documented average), no limit against the emulator",
    )
    notion_burst: int = Field(
        1, ge=1, description="Notion calls sent at once before the rate applies; 1 = evenly spaced"
    )
    google_requests_per_second: dict[str, float] = Field(
        default_factory=dict,
        description='Calls per second per Google service, as JSON: {"sheets": 1, "gmail": 2}',
    )

    # Workspace setup, Google authorisation, doctor, pool refill
    google_token_uri: str | None = Field(
        None, description="OAuth token endpoint; unset = Google's (the emulator serves /token)"
    )
    token_encryption_key: SecretStr | None = Field(
        None, description="Fernet key encrypting Google credentials stored in PostgreSQL"
    )
    pool_refill_token: SecretStr | None = Field(
        None, description="Bearer token a scheduler sends to POST /pool/refill"
    )
    pool_refill_oidc_audience: str | None = Field(
        None, description="Audience of Cloud Scheduler's OIDC token for POST /pool/refill"
    )
    pool_refill_oidc_email: str | None = Field(
        None, description="Service account allowed to call POST /pool/refill with an OIDC token"
    )
    google_oidc_certs_url: str = Field(
        "https://www.googleapis.com/oauth2/v1/certs",
        description="Google's public certificates that sign OIDC tokens",
    )
    template_pool_low_water: int = Field(
        3, ge=0, description="A claim that leaves fewer sheets than this triggers a refill"
    )

    @property
    def uses_notion_emulator(self) -> bool:
        return self.notion_token is None

    @property
    def uses_google_emulator(self) -> bool:
        return self.google_credentials_file is None

    @property
    def uses_emulator(self) -> bool:
        return self.uses_notion_emulator or self.uses_google_emulator


@lru_cache
def get_settings() -> Settings:
    return Settings()
