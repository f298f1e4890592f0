"""The intake pipeline's steps. Each body reads the state and returns what it created.

Bodies run inside `pipeline_step`, which records them in `run_steps`, skips them when a
step they need failed, and turns their exceptions into entries of the run's error list.
"""

from datetime import datetime
from typing import Any

from backend.db import prestations as prestation_store
from backend.errors import MissingInformation
from backend.graph.context import PipelineContext
from backend.graph.presentation import (
    calendar_description,
    email_summary,
    sheet_content,
)
from backend.graph.state import IntakeState
from backend.graph.steps import pipeline_step
from backend.intake.problems import Problem
from backend.intake.validation import ValidatedInquiry, validate_inquiry
from backend.integrations import (
    calendar_events,
    clients,
    notification,
    prestations,
    quote_lines,
    quote_sheet,
)
from backend.integrations.prestations import PrestationDraft
from backend.integrations.quote_lines import QuoteLineDraft


def _validated(state: IntakeState) -> ValidatedInquiry:
    return ValidatedInquiry.model_validate(state["inquiry"])


@pipeline_step("validate")
async def validate(state: IntakeState, context: PipelineContext) -> dict[str, Any]:
    settings = context.settings
    validated = validate_inquiry(
        state["payload"],
        context.catalog,
        timezone=settings.timezone,
        guests_per_server=settings.guests_per_server,
        default_event_hours=settings.default_event_hours,
        received_at=datetime.fromisoformat(state["received_at"]),
    )
    availability = await _availability_problem(validated, state["submission_ref"], context)
    if availability is not None:
        validated = validated.model_copy(
            update={"problems": [*validated.problems, availability]}
        )
    return {"inquiry": validated.model_dump(mode="json")}


async def _availability_problem(
    validated: ValidatedInquiry, submission_ref: str, context: PipelineContext
) -> Problem | None:
    """Flag a date on which the caterer already holds as many prestations as it serves."""
    event_date = validated.inquiry.event_date
    if event_date is None:
        return None
    async with context.db.session() as session:
        others = await prestation_store.prestations_on(
            session,
            event_date=event_date,
            exclude_submission_id=submission_ref,
        )
    limit = context.settings.max_events_per_day
    if len(others) < limit:
        return None
    names = ", ".join(name for name, _url in others)
    return Problem(
        code="date_fully_booked",
        message=(
            f"{event_date:%d/%m/%Y} already has {len(others)} prestation(s), the maximum "
            f"of {limit} a day: {names}"
        ),
        field="event_date",
    )


@pipeline_step("upsert_client", requires=("inquiry",))
async def upsert_client(state: IntakeState, context: PipelineContext) -> dict[str, Any]:
    inquiry = _validated(state).inquiry
    record = await clients.find_or_create_client(
        context.workspace,
        name=inquiry.client_name,
        email=inquiry.email,
        phone=inquiry.phone,
        address=inquiry.address,
        submission_id=inquiry.submission_id,
        lock=context.lock,
    )
    return {"client": record.to_dict()}


@pipeline_step("create_prestation", requires=("inquiry", "client"))
async def create_prestation(state: IntakeState, context: PipelineContext) -> dict[str, Any]:
    validated = _validated(state)
    inquiry = validated.inquiry
    draft = PrestationDraft(
        submission_id=inquiry.submission_id,
        name=validated.prestation_name,
        client_page_id=state["client"]["page_id"],
        event_type=inquiry.event_type,
        status=validated.status,
        start=validated.event.start if validated.event else None,
        end=validated.event.end if validated.event else None,
        guests=inquiry.guests,
        options=[line.label for line in validated.quote.lines],
        address=inquiry.address or "",
        message=inquiry.message or "",
        problems=[problem.message for problem in validated.problems],
        total_ht=validated.quote.total_ht,
        total_ttc=validated.quote.total_ttc,
    )
    record = await prestations.create_prestation(context.workspace, draft)
    async with context.db.session() as session:
        await prestation_store.upsert_prestation(
            session,
            notion_page_id=record.page_id,
            **_mirror_fields(state, validated, record.url),
        )
        await session.commit()
    return {"prestation": record.to_dict()}


def _mirror_fields(
    state: IntakeState, validated: ValidatedInquiry, notion_url: str
) -> dict[str, Any]:
    inquiry = validated.inquiry
    event = validated.event
    return {
        "submission_id": state["submission_ref"],
        "run_id": state["run_id"],
        "notion_url": notion_url,
        "client_page_id": state["client"]["page_id"],
        "client_name": inquiry.client_name,
        "client_email": inquiry.email,
        "client_phone": inquiry.phone,
        "name": validated.prestation_name,
        "event_type": inquiry.event_type,
        "status": validated.status,
        "event_date": inquiry.event_date,
        "event_start": event.start if event and not event.all_day else None,
        "event_end": event.end if event and not event.all_day else None,
        "all_day": bool(event and event.all_day),
        "guests": inquiry.guests,
        "address": inquiry.address,
        "message": inquiry.message,
        "options": [option.model_dump(mode="json") for option in inquiry.options],
        "quote": validated.quote.model_dump(mode="json"),
        "total_ht": validated.quote.total_ht,
        "total_ttc": validated.quote.total_ttc,
        "problems": [problem.model_dump(mode="json") for problem in validated.problems],
    }


async def _update_mirror(state: IntakeState, context: PipelineContext, **fields: Any) -> None:
    """Copy what a step created into the local mirror of the prestation."""
    async with context.db.session() as session:
        await prestation_store.update_prestation(
            session, notion_page_id=state["prestation"]["page_id"], **fields
        )


@pipeline_step("create_quote_lines", requires=("inquiry", "prestation"))
async def create_quote_lines(state: IntakeState, context: PipelineContext) -> dict[str, Any]:
    validated = _validated(state)
    drafts = [
        QuoteLineDraft(
            line_no=line.line_no,
            item_id=line.item_id,
            label=line.label,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            total_ht=line.total_ht,
        )
        for line in validated.quote.lines
    ]
    records = await quote_lines.create_quote_lines(
        context.workspace,
        submission_id=validated.inquiry.submission_id,
        prestation_page_id=state["prestation"]["page_id"],
        lines=drafts,
    )
    return {"quote_lines": [record.to_dict() for record in records]}


@pipeline_step("fill_quote_sheet", requires=("inquiry", "prestation"))
async def fill_quote_sheet(state: IntakeState, context: PipelineContext) -> dict[str, Any]:
    validated = _validated(state)
    sheet = await quote_sheet.take_sheet(
        context.workspace,
        context.db,
        run_id=state["run_id"],
        submission_key=validated.inquiry.submission_id,
        submission_ref=state["submission_ref"],
        title=f"Devis – {validated.prestation_name}",
    )
    sheet = await quote_sheet.fill_sheet(context.workspace, sheet, sheet_content(validated))
    await prestations.link_prestation(
        context.workspace, state["prestation"]["page_id"], sheet_url=sheet.url
    )
    await _update_mirror(state, context, sheet_id=sheet.sheet_id, sheet_url=sheet.url)
    return {"sheet": sheet.to_dict()}


@pipeline_step("create_calendar_event", requires=("inquiry", "prestation"))
async def create_calendar_event(state: IntakeState, context: PipelineContext) -> dict[str, Any]:
    validated = _validated(state)
    if validated.event is None:
        raise MissingInformation(
            "the event date is unknown, so no calendar event was created; set the date "
            "on the prestation and rerun this step"
        )
    record = await calendar_events.create_event(
        context.workspace,
        submission_id=validated.inquiry.submission_id,
        summary=validated.prestation_name,
        description=calendar_description(validated, state),
        location=validated.inquiry.address,
        start=validated.event.start,
        end=validated.event.end,
    )
    await prestations.link_prestation(
        context.workspace, state["prestation"]["page_id"], event_url=record.url
    )
    await _update_mirror(
        state, context, calendar_event_id=record.event_id, calendar_url=record.url
    )
    return {"event": record.to_dict()}


@pipeline_step("notify", requires=("inquiry",))
async def notify(state: IntakeState, context: PipelineContext) -> dict[str, Any]:
    validated = _validated(state)
    record, sent_bytes = await notification.send_summary(
        context.workspace,
        submission_id=validated.inquiry.submission_id,
        summary=email_summary(validated, state),
    )
    if "prestation" in state:
        await _update_mirror(state, context, email_message_id=record.message_id)
    eml = sent_bytes.decode("utf-8", errors="replace")
    return {"email": {**record.to_dict(), "eml": eml}}


@pipeline_step("index", requires=("inquiry", "prestation"))
async def index(state: IntakeState, context: PipelineContext) -> dict[str, Any]:
    # Rewrites the same text, vector and tsvector of the mirror row on every rerun.
    from backend.search import embedder_from_settings, index_prestation

    embedder = embedder_from_settings(context.settings)
    async with context.db.session() as session:
        found = await index_prestation(
            session, embedder=embedder, notion_page_id=state["prestation"]["page_id"]
        )
    return {"index": {"indexed": found, "embedding_model": embedder.model_id}}
