"""FastAPI dependencies: the process runtime and the staff token check."""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.runtime import Runtime

_bearer = HTTPBearer(auto_error=False)


# These dependencies are coroutines because FastAPI runs a plain function in a worker
# thread, which cost each webhook request two thread hops.
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def require_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Accept only requests bearing API_TOKEN; without one set, staff endpoints stay closed."""
    expected = request.app.state.settings.api_token
    if expected is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "staff endpoints are closed: set API_TOKEN"
        )
    if credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), expected.get_secret_value().encode()
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
StaffDep = Annotated[None, Depends(require_staff)]
