"""POST /webhooks/{provider}[/{form}] over HTTP: answers, signatures, limits, deduplication."""

import asyncio
import json
import time
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from intake.providers.samples import (
    PROVIDER_SAMPLES,
    SAMPLES,
    SECRET,
    SIGNED_PROVIDERS,
    Sample,
    first_sample,
    sign,
)
from pydantic import SecretStr
from sqlalchemy import select

from backend.api.webhooks import FORM_STATUS_HEADER, get_clock
from backend.app import create_app
from backend.config import PACKAGE_DIR, Settings
from backend.db.models import Submission
from backend.intake.catalog import Catalog
from backend.intake.providers import FormMappings, read_stored_form
from backend.intake.validation import validate_inquiry

from .helpers import count_rows

CATALOG = Catalog.load(PACKAGE_DIR / "data" / "catalog.json")
TOKEN = "jotform-url-token-5c2e9a71"
SECRETS = {name: SECRET for name in SIGNED_PROVIDERS} | {"jotform": TOKEN}


@pytest.fixture
def mappings_path(tmp_path):
    path = tmp_path / "forms.json"
    configured = {"typeform/devis": {"guests": ["Combien serez-vous ?"]}}
    for sample in SAMPLES:
        configured.update(sample.mappings or {})
    path.write_text(json.dumps(configured))
    return path


@pytest.fixture
def webhook_settings(api_settings: Settings, mappings_path) -> Settings:
    return api_settings.model_copy(
        update={
            "webhook_secrets": {key: SecretStr(value) for key, value in SECRETS.items()},
            "form_mappings_path": mappings_path,
            "max_body_bytes": 64 * 1024,
            "webhook_rate_limit_burst": 100,
        }
    )


class Clock:
    """The deduplication window's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def open_client(app):
    """Start the app's lifespan, stop its worker so runs stay queued, return a client."""
    context = app.router.lifespan_context(app)
    await context.__aenter__()
    await app.state.worker.stop()
    transport = httpx.ASGITransport(app=app)
    return context, httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def hooks(db, webhook_settings, clock):
    app = create_app(webhook_settings)
    app.dependency_overrides[get_clock] = lambda: clock
    context, http = await open_client(app)
    try:
        yield http
    finally:
        await http.aclose()
        await context.__aexit__(None, None, None)


def url_of(sample: Sample, form: str | None = None) -> str:
    path = f"/webhooks/{sample.provider}" + (f"/{form}" if form else "")
    return path + (f"?token={TOKEN}" if sample.provider == "jotform" else "")


def headers_of(sample: Sample, body: bytes, now: float | None = None) -> dict[str, str]:
    headers = {"Content-Type": sample.content_type, **sample.headers}
    if sample.provider in SIGNED_PROVIDERS:
        headers |= sign(sample.provider, body, SECRET, time.time() if now is None else now)
    return headers


async def deliver(http, sample: Sample, body: bytes | None = None, form: str | None = None):
    body = sample.body if body is None else body
    return await http.post(url_of(sample, form), content=body, headers=headers_of(sample, body))


async def stored_submissions(db) -> list[Submission]:
    async with db.session() as session:
        return list(await session.scalars(select(Submission).order_by(Submission.received_at)))


async def assert_nothing_stored(db) -> None:
    assert await count_rows(db, "submissions") == 0
    assert await count_rows(db, "runs") == 0


@pytest.mark.parametrize("sample", PROVIDER_SAMPLES, ids=lambda sample: sample.file)
async def test_provider_delivery_stored_once(hooks, db, sample):
    first = await deliver(hooks, sample)
    again = await deliver(hooks, sample)

    assert first.status_code == 200, first.text
    assert again.status_code == 200, again.text
    assert first.json()["duplicate"] is False
    assert again.json() == {**first.json(), "duplicate": True}
    [stored] = await stored_submissions(db)
    assert stored.provider == sample.provider
    assert stored.raw_body == sample.body
    assert stored.provider_submission_id == sample.submission_id
    assert await count_rows(db, "runs") == 1


@pytest.mark.parametrize("sample", PROVIDER_SAMPLES, ids=lambda sample: sample.file)
async def test_stored_submission_reads_back(hooks, db, sample, mappings_path):
    response = await deliver(hooks, sample, form="devis")
    assert response.status_code == 200, response.text

    [stored] = await stored_submissions(db)
    form = read_stored_form(
        provider=stored.provider,
        raw_body=stored.raw_body,
        content_type=stored.content_type,
        headers=stored.headers,
        mappings=FormMappings.load(mappings_path),
    )

    inquiry = validate_inquiry(form, CATALOG).inquiry
    assert inquiry.event_date == date(2027, 6, 14)
    assert inquiry.guests == 80
    assert stored.headers["x-deme-form"] == "devis"


async def test_generic_form_route_still_served(hooks, db):
    sample = SAMPLES[0]

    response = await hooks.post("/webhooks/form", content=sample.body)

    assert response.status_code == 200, response.text
    assert response.json()["submission_id"] == "site-2027-0001"


async def test_concurrent_deliveries_one_run(hooks, db):
    sample = first_sample("tally")

    responses = await asyncio.gather(*(deliver(hooks, sample) for _ in range(10)))

    assert [response.status_code for response in responses] == [200] * 10
    assert len({response.json()["run_id"] for response in responses}) == 1
    assert await count_rows(db, "submissions") == 1
    assert await count_rows(db, "runs") == 1


async def test_unknown_provider_not_found(hooks, db):
    response = await hooks.post("/webhooks/wufoo", content=b"{}")

    assert response.status_code == 404
    assert "tally" in response.json()["detail"]
    await assert_nothing_stored(db)


async def test_unknown_form_stored_and_flagged(hooks, db):
    sample = first_sample("tally")

    response = await deliver(hooks, sample, form="inconnu")

    assert response.status_code == 200, response.text
    [stored] = await stored_submissions(db)
    assert stored.headers[FORM_STATUS_HEADER] == "unknown"


async def test_configured_form_not_flagged(hooks, db):
    response = await deliver(hooks, first_sample("typeform"), form="devis")

    assert response.status_code == 200, response.text
    [stored] = await stored_submissions(db)
    assert FORM_STATUS_HEADER not in stored.headers


async def test_bad_signature_unauthorized_without_detail(hooks, db):
    sample = first_sample("typeform")
    headers = headers_of(sample, sample.body) | {"Typeform-Signature": "sha256=AAAA"}

    response = await hooks.post("/webhooks/typeform", content=sample.body, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"detail": "invalid or missing webhook signature"}
    await assert_nothing_stored(db)


async def test_missing_signature_unauthorized(hooks, db):
    sample = first_sample("tally")

    response = await hooks.post(
        "/webhooks/tally", content=sample.body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 401
    await assert_nothing_stored(db)


async def test_stale_signature_unauthorized(hooks, db):
    sample = first_sample("webflow")
    headers = headers_of(sample, sample.body, now=time.time() - 600)

    response = await hooks.post("/webhooks/webflow", content=sample.body, headers=headers)

    assert response.status_code == 401
    await assert_nothing_stored(db)


async def test_wrong_url_token_unauthorized(hooks, db):
    sample = first_sample("jotform")
    headers = {"Content-Type": sample.content_type}

    response = await hooks.post(
        "/webhooks/jotform?token=nope", content=sample.body, headers=headers
    )

    assert response.status_code == 401
    await assert_nothing_stored(db)


async def test_form_secret_required_on_other_forms(db, webhook_settings, clock):
    settings = webhook_settings.model_copy(
        update={"webhook_secrets": {"fillout/devis": SecretStr(TOKEN)}}
    )
    app = create_app(settings)
    context, http = await open_client(app)
    sample = first_sample("fillout")
    try:
        headers = {"Content-Type": "application/json"}
        other = await http.post("/webhooks/fillout/autre", content=sample.body, headers=headers)
        signed = await http.post(
            f"/webhooks/fillout/devis?token={TOKEN}", content=sample.body, headers=headers
        )
    finally:
        await http.aclose()
        await context.__aexit__(None, None, None)

    assert other.status_code == 401
    assert signed.status_code == 200, signed.text
    assert await count_rows(db, "submissions") == 1


async def test_malformed_json_bad_request(hooks, db):
    sample = first_sample("fillout")

    response = await deliver(hooks, sample, body=b'{"submissionId": "a",')

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]
    await assert_nothing_stored(db)


async def test_signed_malformed_json_bad_request(hooks, db):
    response = await deliver(hooks, first_sample("tally"), body=b"{oops")

    assert response.status_code == 400
    assert "(line 1, column 2)" in response.json()["detail"]
    await assert_nothing_stored(db)


async def test_unsupported_content_type(hooks, db):
    sample = first_sample("tally")
    headers = headers_of(sample, sample.body) | {"Content-Type": "text/xml"}

    response = await hooks.post("/webhooks/tally", content=sample.body, headers=headers)

    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    await assert_nothing_stored(db)


async def test_body_too_large(hooks, db):
    sample = first_sample("fillout")
    body = b'{"questions": [], "pad": "' + b"x" * (64 * 1024) + b'"}'

    response = await deliver(hooks, sample, body=body)

    assert response.status_code == 413
    assert str(64 * 1024) in response.json()["detail"]
    await assert_nothing_stored(db)


async def test_body_too_large_without_length(hooks, db):
    async def chunks():
        for _ in range(100):
            yield b"x" * 1024

    response = await hooks.post(
        "/webhooks/fillout", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    await assert_nothing_stored(db)


async def test_rate_limit_answers_retry_after(db, webhook_settings):
    settings = webhook_settings.model_copy(
        update={"webhook_rate_limit_burst": 2, "webhook_rate_limit_per_minute": 6}
    )
    app = create_app(settings)
    context, http = await open_client(app)
    sample = first_sample("fillout")
    try:
        answers = [await deliver(http, sample, body=b"{oops") for _ in range(3)]
    finally:
        await http.aclose()
        await context.__aexit__(None, None, None)

    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 10
    await assert_nothing_stored(db)


async def test_partial_typeform_ignored(hooks, db):
    sample = first_sample("typeform")
    body = sample.body.replace(
        b'"event_type":"form_response"', b'"event_type":"form_response_partial"'
    )

    response = await deliver(hooks, sample, body=body)

    assert response.status_code == 200
    assert response.json()["ignored"] is True
    await assert_nothing_stored(db)


async def test_content_dedup_within_window(hooks, db, clock):
    sample = first_sample("contact-form-7")
    first = await deliver(hooks, sample)
    clock.now += timedelta(hours=23)
    # The same inquiry sent again: another send time in CF7's special mail tags.
    body = sample.body.replace(b"10 h 15 min", b"10 h 16 min")

    again = await deliver(hooks, sample, body=body)

    assert again.status_code == 200
    assert again.json()["run_id"] == first.json()["run_id"]
    assert again.json()["duplicate"] is True
    assert await count_rows(db, "submissions") == 1


async def test_content_repeat_after_window_stored(hooks, db, clock):
    sample = first_sample("contact-form-7")
    first = await deliver(hooks, sample)
    clock.now += timedelta(days=3)

    again = await deliver(hooks, sample)

    assert again.status_code == 200
    assert again.json()["duplicate"] is False
    assert again.json()["run_id"] != first.json()["run_id"]
    assert await count_rows(db, "submissions") == 2
    assert await count_rows(db, "runs") == 2


async def test_wpforms_double_submit_one_run(hooks, db):
    sample = first_sample("wpforms")
    second = sample.body.replace(b'"entry_id":"4711"', b'"entry_id":"4712"')

    first = await deliver(hooks, sample)
    again = await deliver(hooks, sample, body=second)

    assert again.json()["run_id"] == first.json()["run_id"]
    assert await count_rows(db, "submissions") == 1


async def test_concurrent_content_deliveries_one_run(hooks, db):
    sample = first_sample("elementor")

    responses = await asyncio.gather(*(deliver(hooks, sample) for _ in range(10)))

    assert [response.status_code for response in responses] == [200] * 10
    assert len({response.json()["run_id"] for response in responses}) == 1
    assert await count_rows(db, "submissions") == 1


async def test_field_titled_date_keeps_event_date(hooks, db, mappings_path):
    sample = next(s for s in SAMPLES if s.file == "elementor-advanced.txt")
    response = await deliver(hooks, sample)
    assert response.status_code == 200, response.text

    [stored] = await stored_submissions(db)
    form = read_stored_form(
        provider=stored.provider,
        raw_body=stored.raw_body,
        content_type=stored.content_type,
        headers=stored.headers,
        mappings=FormMappings.load(mappings_path),
    )

    assert validate_inquiry(form, CATALOG).inquiry.event_date == date(2027, 6, 14)


async def test_nul_in_multipart_submission_id_stored(hooks, db):
    sample = first_sample("jotform")
    body = sample.body.replace(sample.submission_id.encode(), b"58712\x0034567890123456")

    response = await deliver(hooks, sample, body=body)

    assert response.status_code == 200, response.text
    [stored] = await stored_submissions(db)
    assert stored.provider_submission_id == "58712 34567890123456"


async def test_nul_in_form_segment_stored(hooks, db):
    response = await deliver(hooks, first_sample("tally"), form="devis%00x")

    assert response.status_code == 200, response.text
    [stored] = await stored_submissions(db)
    assert stored.headers["x-deme-form"] == "devis x"


async def test_long_submission_id_bad_request(hooks, db):
    payload = json.loads(SAMPLES[0].body)
    payload["submission_id"] = "x" * 2000

    response = await hooks.post("/webhooks/form", content=json.dumps(payload).encode())

    assert response.status_code == 400
    assert "submission id is too long" in response.json()["detail"]
    await assert_nothing_stored(db)
