from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from backend.intake.dates import (
    parse_event_date,
    parse_event_hours,
    parse_event_time,
    parse_submitted_at,
)
from backend.intake.inquiry import EventSlot

SUBMITTED_ON = date(2027, 3, 2)
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("raw", "event_date"),
    [
        ("2027-06-14", date(2027, 6, 14)),
        ("21/09/2027", date(2027, 9, 21)),
        ("21-09-2027", date(2027, 9, 21)),
        ("21.09.2027", date(2027, 9, 21)),
        ("21/09/27", date(2027, 9, 21)),
        ("1/6/2027", date(2027, 6, 1)),
        ("2027/06/14", date(2027, 6, 14)),
        ("14 juin 2027", date(2027, 6, 14)),
        ("14 JUIN 2027", date(2027, 6, 14)),
        ("lundi 14 juin 2027", date(2027, 6, 14)),
        ("Lundi, 14 juin 2027", date(2027, 6, 14)),
        ("le 14 juin 2027", date(2027, 6, 14)),
        ("1er juin 2027", date(2027, 6, 1)),
        ("15 août 2027", date(2027, 8, 15)),
        ("15 aout 2027", date(2027, 8, 15)),
        ("3 févr. 2028", date(2028, 2, 3)),
        ("12 juillet 2027", date(2027, 7, 12)),
        ("June 14, 2027", date(2027, 6, 14)),
        ("Monday, June 14th, 2027", date(2027, 6, 14)),
        ("14 June 2027", date(2027, 6, 14)),
    ],
)
def test_parse_event_date(raw: str, event_date: date) -> None:
    assert parse_event_date(raw, SUBMITTED_ON) == (event_date, [])


def test_parse_event_date_without_year_this_year() -> None:
    value, problems = parse_event_date("14 juin", SUBMITTED_ON)
    assert value == date(2027, 6, 14)
    assert [problem.code for problem in problems] == ["date_year_assumed"]
    assert problems[0].message == 'year not given: assumed 2027 for "14 juin"'
    assert problems[0].field == "event_date"


def test_parse_event_date_without_year_next_year() -> None:
    value, problems = parse_event_date("1er février", SUBMITTED_ON)
    assert value == date(2028, 2, 1)
    assert problems[0].message == 'year not given: assumed 2028 for "1er février"'


def test_parse_event_date_without_year_same_day() -> None:
    value, _ = parse_event_date("2 mars", SUBMITTED_ON)
    assert value == date(2027, 3, 2)


def test_parse_event_date_without_year_leap_day() -> None:
    value, _ = parse_event_date("29 février", SUBMITTED_ON)
    assert value == date(2028, 2, 29)


def test_parse_event_date_wrong_weekday() -> None:
    value, problems = parse_event_date("samedi 14 juin 2027", SUBMITTED_ON)
    assert value == date(2027, 6, 14)
    assert [problem.code for problem in problems] == ["date_weekday_mismatch"]
    assert problems[0].message == (
        'event date "samedi 14 juin 2027" names the wrong weekday: 14/06/2027 is a Monday'
    )


def test_parse_event_date_in_past() -> None:
    value, problems = parse_event_date("2027-01-10", SUBMITTED_ON)
    assert value == date(2027, 1, 10)
    assert [problem.code for problem in problems] == ["date_in_past"]
    assert problems[0].message == ("event date 10/01/2027 is before the submission date 02/03/2027")


@pytest.mark.parametrize(
    "raw", ["bientôt", "31/02/2027", "2027-13-01", "14 juinet 2027", "32 juin 2027", "14/06"]
)
def test_parse_event_date_not_understood(raw: str) -> None:
    value, problems = parse_event_date(raw, SUBMITTED_ON)
    assert value is None
    assert [problem.code for problem in problems] == ["date_not_understood"]
    assert problems[0].message == f'event date not understood: "{raw}"'


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_parse_event_date_missing(raw: str | None) -> None:
    value, problems = parse_event_date(raw, SUBMITTED_ON)
    assert value is None
    assert [problem.message for problem in problems] == ["event date not given"]


@pytest.mark.parametrize(
    ("raw", "start"),
    [
        ("19h30", time(19, 30)),
        ("19h", time(19, 0)),
        ("19 h 30", time(19, 30)),
        ("12h00", time(12, 0)),
        ("19:30", time(19, 30)),
        ("9:05", time(9, 5)),
        ("19.30", time(19, 30)),
        ("7:30 pm", time(19, 30)),
        ("7pm", time(19, 0)),
        ("12 am", time(0, 0)),
        ("12:15 PM", time(12, 15)),
        ("midi", time(12, 0)),
        ("Midi", time(12, 0)),
        ("minuit", time(0, 0)),
        ("20 heures", time(20, 0)),
    ],
)
def test_parse_event_time(raw: str, start: time) -> None:
    assert parse_event_time(raw) == (start, [])


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_parse_event_time_empty_is_all_day(raw: str | None) -> None:
    assert parse_event_time(raw) == (None, [])


@pytest.mark.parametrize("raw", ["le soir", "25h", "19h75", "13 pm", "19"])
def test_parse_event_time_not_understood(raw: str) -> None:
    value, problems = parse_event_time(raw)
    assert value is None
    assert [problem.code for problem in problems] == ["time_not_understood"]
    assert problems[0].message == f'event time not understood: "{raw}": planned as all-day'


@pytest.mark.parametrize(
    ("raw", "hours"),
    [
        (None, "5"),
        ("", "5"),
        ("4", "4"),
        (6, "6"),
        (4.5, "4.5"),
        ("4,5", "4.5"),
        ("4h30", "4.50"),
        ("3 heures", "3"),
    ],
)
def test_parse_event_hours(raw: str | int | float | None, hours: str) -> None:
    assert parse_event_hours(raw, Decimal(5)) == (Decimal(hours), [])


@pytest.mark.parametrize("raw", ["toute la nuit", "0", "72", "4h75"])
def test_parse_event_hours_not_understood(raw: str) -> None:
    value, problems = parse_event_hours(raw, Decimal(5))
    assert value == Decimal(5)
    assert [problem.message for problem in problems] == [
        f'event length not understood: "{raw}": assumed 5 hours'
    ]


def test_parse_submitted_at_keeps_offset() -> None:
    received = datetime(2027, 1, 1, tzinfo=PARIS)
    value, problems = parse_submitted_at("2027-03-02T10:15:00+01:00", PARIS, received)
    assert value.isoformat() == "2027-03-02T10:15:00+01:00"
    assert problems == []


def test_parse_submitted_at_naive_is_local() -> None:
    received = datetime(2027, 1, 1, tzinfo=PARIS)
    value, _ = parse_submitted_at("2027-07-02T10:15:00", PARIS, received)
    assert value.isoformat() == "2027-07-02T10:15:00+02:00"


def test_parse_submitted_at_unreadable_uses_received() -> None:
    received = datetime(2027, 1, 1, tzinfo=PARIS)
    value, problems = parse_submitted_at("hier", PARIS, received)
    assert value == received
    assert [problem.code for problem in problems] == ["submitted_at_not_understood"]


def _slot(event_date: date, start: time | None, hours: str = "5") -> EventSlot:
    return EventSlot.for_event(event_date, start, Decimal(hours), "Europe/Paris")


def test_event_slot_timed() -> None:
    slot = _slot(date(2027, 6, 14), time(18, 30))
    assert slot.all_day is False
    assert slot.start.isoformat() == "2027-06-14T18:30:00+02:00"
    assert slot.end.isoformat() == "2027-06-14T23:30:00+02:00"


def test_event_slot_across_spring_forward() -> None:
    slot = _slot(date(2027, 3, 28), time(1, 30))
    assert slot.start.isoformat() == "2027-03-28T01:30:00+01:00"
    assert slot.end.isoformat() == "2027-03-28T07:30:00+02:00"


def test_event_slot_across_fall_back() -> None:
    slot = _slot(date(2027, 10, 30), time(23, 0))
    assert slot.start.isoformat() == "2027-10-30T23:00:00+02:00"
    assert slot.end.isoformat() == "2027-10-31T03:00:00+01:00"


def test_event_slot_after_fall_back() -> None:
    slot = _slot(date(2027, 10, 31), time(13, 0))
    assert slot.start.isoformat() == "2027-10-31T13:00:00+01:00"
    assert slot.end.isoformat() == "2027-10-31T18:00:00+01:00"


def test_event_slot_start_in_spring_gap() -> None:
    slot = _slot(date(2027, 3, 28), time(2, 30))
    assert slot.start.isoformat() == "2027-03-28T03:30:00+02:00"
    assert slot.end.isoformat() == "2027-03-28T08:30:00+02:00"


def test_event_slot_fractional_hours() -> None:
    slot = _slot(date(2027, 6, 14), time(12, 0), hours="4.5")
    assert slot.end.isoformat() == "2027-06-14T16:30:00+02:00"


def test_event_slot_all_day() -> None:
    slot = _slot(date(2027, 12, 31), None)
    assert slot.all_day is True
    assert slot.start == date(2027, 12, 31)
    assert slot.end == date(2028, 1, 1)
    assert slot.model_dump(mode="json") == {
        "start": "2027-12-31",
        "end": "2028-01-01",
        "all_day": True,
    }


def test_event_slot_round_trip() -> None:
    for slot in (_slot(date(2027, 5, 8), None), _slot(date(2027, 6, 14), time(18, 30))):
        restored = EventSlot.model_validate(slot.model_dump(mode="json"))
        assert restored == slot
        assert type(restored.start) is type(slot.start)
