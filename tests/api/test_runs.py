"""GET /runs/{id} access control and GET /health."""

import uuid

from .helpers import staff_headers


async def test_run_without_token_unauthorized(client):
    response = await client.get(f"/runs/{uuid.uuid4()}")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_run_with_wrong_token_unauthorized(client):
    response = await client.get(f"/runs/{uuid.uuid4()}", headers=staff_headers("wrong-token"))

    assert response.status_code == 401


async def test_unknown_run_not_found(client):
    run_id = uuid.uuid4()

    response = await client.get(f"/runs/{run_id}", headers=staff_headers())

    assert response.status_code == 404
    assert str(run_id) in response.json()["detail"]


async def test_health_reports_database_ok(client):
    response = await client.get("/health")

    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["database"] == "ok"


async def test_malformed_run_id_rejected(client):
    response = await client.get("/runs/not-a-uuid", headers=staff_headers())

    assert response.status_code == 422
