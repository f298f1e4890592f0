"""POST /pool/refill: refill the template pool, for schedulers.

Two ways in: the bearer token POOL_REFILL_TOKEN (the GitHub Actions workflow, cron), or
a Google-signed OIDC token as Cloud Scheduler sends it, whose audience must be
POOL_REFILL_OIDC_AUDIENCE (and whose email POOL_REFILL_OIDC_EMAIL, when set).
"""

import asyncio
import secrets
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.api.deps import RuntimeDep
from backend.config import Settings
from backend.errors import ConfigurationError
from backend.setup.pool import refill, source_of

log = structlog.get_logger(__name__)

router = APIRouter()
_bearer = HTTPBearer(auto_error=False)
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


def verify_scheduler_oidc(token: str, settings: Settings) -> dict[str, Any]:
    """Verify a Google OIDC token (signature, expiry, audience, issuer, email); blocking.

    Raises ValueError naming what is wrong.
    """
    from google.auth.exceptions import GoogleAuthError
    from google.auth.transport.requests import Request as GoogleRequest
    from google.oauth2 import id_token

    try:
        claims = id_token.verify_token(
            token,
            GoogleRequest(),
            audience=settings.pool_refill_oidc_audience,
            certs_url=settings.google_oidc_certs_url,
        )
    except GoogleAuthError as exc:
        raise ValueError(f"OIDC token not verified: {exc}") from exc
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise ValueError(f"OIDC token issuer {claims.get('iss')!r} is not Google")
    expected = settings.pool_refill_oidc_email
    if expected and (claims.get("email") != expected or not claims.get("email_verified")):
        raise ValueError(
            f"OIDC token is for {claims.get('email')!r}, not POOL_REFILL_OIDC_EMAIL"
        )
    return claims


async def require_scheduler(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Return who is calling ("token" or the OIDC email); raise 401 otherwise."""
    settings: Settings = request.app.state.settings
    token_setting = settings.pool_refill_token
    if token_setting is None and not settings.pool_refill_oidc_audience:
        raise _unauthorized(
            "pool refill is closed: set POOL_REFILL_TOKEN or POOL_REFILL_OIDC_AUDIENCE"
        )
    if credentials is None:
        raise _unauthorized("missing bearer token")
    presented = credentials.credentials
    if token_setting is not None and secrets.compare_digest(
        presented.encode(), token_setting.get_secret_value().encode()
    ):
        return "token"
    if settings.pool_refill_oidc_audience and presented.count(".") == 2:
        try:
            claims = await asyncio.to_thread(verify_scheduler_oidc, presented, settings)
        except ValueError as exc:
            log.warning("pool.refill_rejected", reason=str(exc))
            raise _unauthorized(str(exc)) from exc
        return f"oidc:{claims.get('email', claims.get('sub'))}"
    raise _unauthorized("invalid bearer token")


SchedulerDep = Annotated[str, Depends(require_scheduler)]


@router.post("/pool/refill")
async def refill_pool(runtime: RuntimeDep, caller: SchedulerDep) -> JSONResponse:
    settings = runtime.settings
    log.info("pool.refill_requested", caller=caller)
    try:
        outcome = await refill(
            source_of(runtime.workspace), runtime.db, target=settings.template_pool_target
        )
    except ConfigurationError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=500)
    return JSONResponse(outcome.to_dict(), status_code=200)
