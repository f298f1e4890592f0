"""A stand-in for Google's OAuth endpoints, so refresh, revocation and invalid_grant can be drilled.

The token endpoint serves three grants: `authorization_code` (the installed-app flow of
`deme auth google`), `refresh_token` and the JWT bearer assertion of a service account.
Refresh tokens it issued can be revoked (`POST /revoke`, as Google's revocation endpoint);
a revoked one gets `invalid_grant`, and the access tokens minted from it get 401 on every
Google API. Refresh tokens the emulator never issued are accepted, so a hand-written
authorized-user file works. A fault rule on the `oauth` service returns `invalid_grant`.
`GET /oauth2/v1/certs` serves the certificates a test registered, like Google's OIDC certs.
`GET /o/oauth2/auth` stands in for the consent page: it sends the browser straight back.
"""

import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from backend.emulator.store import Store

ACCESS_TOKEN_SECONDS = 3599
ACCESS_TOKEN_PREFIX = "emulator-at-"
REFRESH_TOKEN_PREFIX = "emulator-rt-"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _invalid_grant(description: str) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_grant", "error_description": description}, status_code=400
    )


def issue_refresh_token(store: Store, scope: str = "") -> str:
    """Record and return a new refresh token, as a completed consent screen gives one."""
    token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(16)
    store.put("oauth_refresh_token", token, {"token": token, "scope": scope, "revoked": False})
    return token


def revoke_refresh_token(store: Store, token: str) -> bool:
    """Revoke a refresh token (expiry, a password change, the user removing access)."""
    with store.transaction():
        record = store.get("oauth_refresh_token", token)
        if record is None:
            record = {"token": token, "scope": "", "revoked": True}
        record["revoked"] = True
        store.put("oauth_refresh_token", token, record)
    return True


def access_token_revoked(store: Store, access_token: str) -> bool:
    """Return True for an access token minted from a refresh token revoked since."""
    if not access_token.startswith(ACCESS_TOKEN_PREFIX):
        return False
    minted = store.get("oauth_access_token", access_token)
    if minted is None or not minted.get("refresh_token"):
        return False
    record = store.get("oauth_refresh_token", minted["refresh_token"])
    return bool(record and record.get("revoked"))


def set_oidc_certs(store: Store, certs: dict[str, str]) -> None:
    """Serve `{key id: PEM certificate}` at /oauth2/v1/certs."""
    store.put("meta", "oidc_certs", {"certs": certs})


def _mint(store: Store, refresh_token: str | None, scope: str) -> dict[str, Any]:
    access_token = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(16)
    store.put("oauth_access_token", access_token, {"refresh_token": refresh_token})
    body = {
        "access_token": access_token,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "token_type": "Bearer",
    }
    if scope:
        # Google returns the granted scopes; with no scope requested, none is echoed.
        body["scope"] = scope
    return body


async def token(request: Request) -> Response:
    form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
    store: Store = request.app.state.store
    grant_type = form.get("grant_type")
    scope = form.get("scope", "")
    if grant_type == "refresh_token":
        refresh_token = form.get("refresh_token", "")
        record = store.get("oauth_refresh_token", refresh_token)
        if not refresh_token or (record and record.get("revoked")):
            return _invalid_grant("Token has been expired or revoked.")
        return JSONResponse(_mint(store, refresh_token, scope or (record or {}).get("scope", "")))
    if grant_type == "authorization_code":
        if not form.get("code"):
            return _invalid_grant("Missing code.")
        refresh_token = issue_refresh_token(store, scope)
        body = _mint(store, refresh_token, scope)
        return JSONResponse({**body, "refresh_token": refresh_token})
    if grant_type == JWT_BEARER_GRANT:
        if not form.get("assertion"):
            return _invalid_grant("Missing assertion.")
        return JSONResponse(_mint(store, None, scope))
    return JSONResponse(
        {
            "error": "unsupported_grant_type",
            "error_description": f"Invalid grant_type: {grant_type}",
        },
        status_code=400,
    )


async def consent(request: Request) -> Response:
    """Stand in for Google's consent page: the user agrees at once and is sent back."""
    redirect_uri = request.query_params.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://localhost", "http://127.0.0.1")):
        return JSONResponse(
            {"error": "invalid_request", "error_description": "redirect_uri must be local"},
            status_code=400,
        )
    answer = urlencode(
        {
            "code": secrets.token_urlsafe(12),
            "state": request.query_params.get("state", ""),
            "scope": request.query_params.get("scope", ""),
        }
    )
    return RedirectResponse(f"{redirect_uri}?{answer}", status_code=302)


async def revoke(request: Request) -> Response:
    form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
    token_value = form.get("token") or request.query_params.get("token", "")
    if not token_value:
        return JSONResponse({"error": "invalid_token"}, status_code=400)
    revoke_refresh_token(request.app.state.store, token_value)
    return JSONResponse({})


async def certs(request: Request) -> Response:
    stored = request.app.state.store.get("meta", "oidc_certs") or {"certs": {}}
    return JSONResponse(stored["certs"], headers={"Cache-Control": "public, max-age=60"})


ROUTES = [
    Route("/token", token, methods=["POST"]),
    Route("/oauth2/v4/token", token, methods=["POST"]),
    Route("/revoke", revoke, methods=["POST"]),
    Route("/o/oauth2/auth", consent, methods=["GET"]),
    Route("/oauth2/v1/certs", certs, methods=["GET"]),
]
