"""POST /webhooks/{provider}[/{form}]: store a form builder's delivery, answer with its run id.

Answers, as form builders count them: 200 for an accepted delivery and for a duplicate
(several builders count nothing else as delivered); 404 only for an unknown provider;
413 body too large; 415 content type the provider never sends; 401 bad or missing
signature or token when a secret is set; 400 unreadable body; 429 with Retry-After
when one client IP sends too fast. None of the 4xx answers stores anything.

A known provider with an unconfigured form segment is not rejected, because Typeform
disables a webhook that answers 404 or 410: the submission is stored, read with the
provider's mapping, and flagged with the stored header `x-deme-form-status: unknown`.
"""

import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from backend.api.deps import RuntimeDep
from backend.api.webhook_limits import TokenBuckets, read_body, retry_after_header
from backend.config import Settings
from backend.graph.submissions import accept_submission
from backend.intake.errors import InvalidPayloadError
from backend.intake.providers import (
    PROVIDERS,
    Delivery,
    FormMappings,
    NotAnInquiryError,
    Provider,
    SignatureError,
    UnsupportedContentTypeError,
)

log = structlog.get_logger(__name__)
router = APIRouter()

# Stored header flagging a delivery to a form segment no setting names.
FORM_STATUS_HEADER = "x-deme-form-status"
# Request headers stored with every submission, besides each provider's own.
_HEADERS_KEPT = ("content-type", "user-agent")
_SIGNATURE_REJECTED = "invalid or missing webhook signature"


async def get_clock() -> Callable[[], datetime]:
    """Return the clock of the deduplication window; tests override this dependency."""
    return lambda: datetime.now(UTC)


ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]


@router.post("/webhooks/{provider_name}")
async def receive_provider(
    provider_name: str, request: Request, runtime: RuntimeDep, clock: ClockDep
) -> JSONResponse:
    """Store a delivery of `provider_name` (`form` is deme's own JSON format)."""
    return await _receive(provider_name, None, request, runtime, clock)


@router.post("/webhooks/{provider_name}/{form}")
async def receive_provider_form(
    provider_name: str, form: str, request: Request, runtime: RuntimeDep, clock: ClockDep
) -> JSONResponse:
    """Store a delivery of one form of `provider_name`, read with that form's mapping."""
    return await _receive(provider_name, form, request, runtime, clock)


async def _receive(
    provider_name: str,
    form: str | None,
    request: Request,
    runtime: RuntimeDep,
    clock: Callable[[], datetime],
) -> JSONResponse:
    settings = runtime.settings
    provider = _known_provider(provider_name)
    _check_rate(request, provider, settings)
    delivery = Delivery(
        raw_body=b"",
        content_type=request.headers.get("content-type", ""),
        headers={name.lower(): value for name, value in request.headers.items()},
    )
    try:
        provider.check_media_type(delivery)
    except UnsupportedContentTypeError as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from exc

    raw_body = await read_body(request, settings.max_body_bytes)
    delivery = Delivery(raw_body, delivery.content_type, delivery.headers)
    _check_signature(provider, form, delivery, request, settings)

    stored_headers = _kept_headers(provider, delivery)
    if form is not None and not _form_configured(provider.name, form, settings):
        stored_headers[FORM_STATUS_HEADER] = "unknown"
        log.warning("webhook.form_unknown", provider=provider.name, form=form)
    try:
        accepted = await accept_submission(
            runtime.db,
            runtime.catalog,
            raw_body=raw_body,
            content_type=delivery.content_type,
            provider=provider.name,
            headers=stored_headers,
            form=form,
            mappings=FormMappings.load(settings.form_mappings_path),
            dedup_window=timedelta(seconds=settings.webhook_dedup_window_seconds),
            now=clock(),
            batcher=getattr(request.app.state, "submission_batcher", None),
        )
    except InvalidPayloadError as exc:
        log.info("webhook.rejected", provider=provider.name, status=400, reason=str(exc))
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    except NotAnInquiryError as exc:
        log.info("webhook.ignored", provider=provider.name, reason=str(exc))
        return JSONResponse({"ignored": True, "reason": str(exc)})

    if accepted.created:
        await request.app.state.dispatcher.dispatch(accepted.run_id)
    # A JSONResponse skips FastAPI's validation of the returned value against a model.
    return JSONResponse(
        {
            "run_id": str(accepted.run_id),
            "submission_id": accepted.submission_id,
            "duplicate": not accepted.created,
        }
    )


def _known_provider(name: str) -> Provider:
    provider = PROVIDERS.get(name)
    if provider is None:
        known = ", ".join(sorted(PROVIDERS))
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown form provider {name!r}: expected one of {known}"
        )
    return provider


def _check_rate(request: Request, provider: Provider, settings: Settings) -> None:
    buckets: TokenBuckets | None = getattr(request.app.state, "webhook_buckets", None)
    if buckets is None:
        buckets = TokenBuckets(
            per_minute=settings.webhook_rate_limit_per_minute,
            burst=settings.webhook_rate_limit_burst,
        )
        request.app.state.webhook_buckets = buckets
    # NOTE: behind a reverse proxy every delivery has the proxy's address, so all
    # sources share one bucket per provider; deme does not read X-Forwarded-For.
    client_ip = request.client.host if request.client else "unknown"
    wait = buckets.take((client_ip, provider.name))
    if wait > 0:
        log.warning("webhook.rate_limited", provider=provider.name, client_ip=client_ip)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many deliveries from {client_ip} to {provider.name}: retry later",
            headers=retry_after_header(wait),
        )


def _secret_for(provider: str, form: str | None, settings: Settings) -> SecretStr | None:
    secrets = settings.webhook_secrets
    if form is not None and f"{provider}/{form}" in secrets:
        return secrets[f"{provider}/{form}"]
    return secrets.get(provider)


def _check_signature(
    provider: Provider, form: str | None, delivery: Delivery, request: Request, settings: Settings
) -> None:
    """Raise 401 unless the delivery is signed (or carries the URL token) when a secret is set.

    A provider with secrets for some forms only accepts signed deliveries on every form,
    so an unconfigured form segment is no way around the signature.
    """
    secret = _secret_for(provider.name, form, settings)
    if secret is None:
        if any(key.startswith(f"{provider.name}/") for key in settings.webhook_secrets):
            _reject_signature(provider, form, "no secret for this form, but for other forms")
        return
    key = secret.get_secret_value().encode("utf-8")
    if provider.verify is None:
        token = request.query_params.get("token", "").encode("utf-8")
        if not hmac.compare_digest(token, key):
            _reject_signature(provider, form, "token query parameter missing or wrong")
        return
    try:
        provider.verify(delivery, key, time.time())
    except SignatureError as exc:
        _reject_signature(provider, form, str(exc))


def _reject_signature(provider: Provider, form: str | None, reason: str) -> None:
    # The reason is logged for the caterer, never sent to the caller.
    log.warning("webhook.signature_rejected", provider=provider.name, form=form, reason=reason)
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, _SIGNATURE_REJECTED)


def _kept_headers(provider: Provider, delivery: Delivery) -> dict[str, str]:
    names = (*_HEADERS_KEPT, *provider.headers_kept)
    return {name: delivery.headers[name] for name in names if name in delivery.headers}


def _form_configured(provider: str, form: str, settings: Settings) -> bool:
    if f"{provider}/{form}" in settings.webhook_secrets:
        return True
    return FormMappings.load(settings.form_mappings_path).knows(provider, form)
