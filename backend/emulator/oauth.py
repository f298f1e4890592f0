"""A stand-in for Google's OAuth token endpoint, so refresh and invalid_grant can be drilled.

Any refresh token or signed assertion gets a fresh access token; a fault rule on the
`oauth` service returns `invalid_grant` instead.
"""

import secrets
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ACCESS_TOKEN_SECONDS = 3599


async def token(request: Request) -> Response:
    form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
    grant_type = form.get("grant_type")
    if not grant_type:
        return JSONResponse(
            {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "},
            status_code=400,
        )
    return JSONResponse(
        {
            "access_token": f"emulator-{secrets.token_urlsafe(16)}",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "token_type": "Bearer",
            "scope": form.get("scope", ""),
        }
    )


ROUTES = [
    Route("/token", token, methods=["POST"]),
    Route("/oauth2/v4/token", token, methods=["POST"]),
]
