"""Calendar routes through google-api-python-client over HTTP."""

import uuid

import pytest
from googleapiclient.errors import HttpError

from backend.emulator import RunningEmulator


@pytest.fixture(scope="module")
def calendar(google):
    return google("calendar", "v3")


def event_id() -> str:
    return "deme" + uuid.uuid4().hex  # hex digits are base32hex digits


def timed(**extra) -> dict:
    return {
        "summary": "Mariage – Claire Martin",
        "location": "Domaine des Tilleuls, Lyon",
        "start": {"dateTime": "2027-06-14T18:00:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": "2027-06-15T01:00:00+02:00"},
        **extra,
    }


def test_insert_with_client_id(calendar, emulator: RunningEmulator):
    wanted = event_id()

    event = calendar.events().insert(calendarId="primary", body=timed(id=wanted)).execute()
    fetched = calendar.events().get(calendarId="primary", eventId=wanted).execute()

    assert event["id"] == wanted
    assert event["status"] == "confirmed"
    assert event["htmlLink"] == f"{emulator.url}/calendar/event?eid={wanted}"
    assert event["iCalUID"] == f"{wanted}@google.com"
    assert event["created"]
    assert event["etag"].startswith('"')
    assert fetched["summary"] == "Mariage – Claire Martin"
    assert wanted in [item["id"] for item in emulator.store.calendar_events()]


def test_duplicate_id_409(calendar):
    wanted = event_id()
    calendar.events().insert(calendarId="primary", body=timed(id=wanted)).execute()

    with pytest.raises(HttpError) as raised:
        calendar.events().insert(calendarId="primary", body=timed(id=wanted)).execute()

    assert raised.value.resp.status == 409
    assert raised.value.error_details[0]["reason"] == "duplicate"
    assert "The requested identifier already exists." in str(raised.value)


def test_deleted_id_still_409(calendar):
    wanted = event_id()
    calendar.events().insert(calendarId="primary", body=timed(id=wanted)).execute()
    calendar.events().delete(calendarId="primary", eventId=wanted).execute()

    with pytest.raises(HttpError) as raised:
        calendar.events().insert(calendarId="primary", body=timed(id=wanted)).execute()
    cancelled = calendar.events().get(calendarId="primary", eventId=wanted).execute()

    assert raised.value.resp.status == 409
    assert cancelled["status"] == "cancelled"


@pytest.mark.parametrize("bad_id", ["abc", "Deme12345", "deme-1234", "wxyz12345"])
def test_invalid_id_400(calendar, bad_id: str):
    with pytest.raises(HttpError) as raised:
        calendar.events().insert(calendarId="primary", body=timed(id=bad_id)).execute()

    assert raised.value.resp.status == 400
    assert "Invalid resource id value." in str(raised.value)


def test_all_day_event(calendar):
    event = (
        calendar.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Séminaire Leroy",
                "start": {"date": "2027-06-21"},
                "end": {"date": "2027-06-22"},
            },
        )
        .execute()
    )

    assert event["start"] == {"date": "2027-06-21"}
    assert len(event["id"]) >= 5


@pytest.mark.parametrize(
    ("start", "end", "fragment"),
    [
        (
            {"dateTime": "2027-06-14T18:00:00"},
            {"dateTime": "2027-06-14T20:00:00"},
            "Missing time zone definition for start time.",
        ),
        (
            {"dateTime": "2027-06-14T18:00:00+02:00"},
            {"dateTime": "2027-06-14T17:00:00+02:00"},
            "The specified time range is empty.",
        ),
        ({"date": "2027-06-14"}, {"date": "2027-06-14"}, "The specified time range is empty."),
        ({"date": "2027-06-14"}, None, "Missing end time."),
    ],
)
def test_bad_times_400(calendar, start: dict, end: dict | None, fragment: str):
    body = {"summary": "x", "start": start}
    if end is not None:
        body["end"] = end

    with pytest.raises(HttpError) as raised:
        calendar.events().insert(calendarId="primary", body=body).execute()

    assert raised.value.resp.status == 400
    assert fragment in str(raised.value)


def test_empty_range_reason(calendar):
    body = timed(end={"dateTime": "2027-06-14T10:00:00+02:00"})

    with pytest.raises(HttpError) as raised:
        calendar.events().insert(calendarId="primary", body=body).execute()

    assert raised.value.error_details[0]["reason"] == "timeRangeEmpty"


def test_unknown_field_400(calendar):
    with pytest.raises(HttpError) as raised:
        calendar.events().insert(calendarId="primary", body=timed(foo="bar")).execute()

    assert raised.value.resp.status == 400
    assert "Unknown name \"foo\" at 'event': Cannot find field." in str(raised.value)


def test_patch_and_list(calendar):
    wanted = event_id()
    calendar.events().insert(
        calendarId="primary",
        body=timed(id=wanted, extendedProperties={"private": {"submission": wanted}}),
    ).execute()

    patched = (
        calendar.events()
        .patch(
            calendarId="primary",
            eventId=wanted,
            body={
                "start": {"dateTime": "2027-06-21T18:00:00+02:00"},
                "end": {"dateTime": "2027-06-21T23:00:00+02:00"},
            },
        )
        .execute()
    )
    listed = (
        calendar.events()
        .list(
            calendarId="primary",
            timeMin="2027-06-21T00:00:00+02:00",
            timeMax="2027-06-22T00:00:00+02:00",
            privateExtendedProperty=f"submission={wanted}",
        )
        .execute()
    )

    assert patched["sequence"] == 1
    assert patched["summary"] == "Mariage – Claire Martin"
    assert [item["id"] for item in listed["items"]] == [wanted]


def test_unknown_calendar_404(calendar):
    with pytest.raises(HttpError) as raised:
        calendar.events().insert(calendarId="nobody@example.com", body=timed()).execute()

    assert raised.value.resp.status == 404
