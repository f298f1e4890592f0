import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backend.config import PACKAGE_DIR
from backend.intake.catalog import Catalog
from backend.intake.errors import IntakeError, InvalidPayloadError
from backend.intake.validation import (
    STATUS_TO_REVIEW,
    ValidatedInquiry,
    parse_payload,
    submission_id_of,
    validate_inquiry,
)

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "data" / "inquiries"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(PACKAGE_DIR / "data" / "catalog.json")


def wedding() -> dict:
    return json.loads((SAMPLES_DIR / "wedding-lyon.json").read_text(encoding="utf-8"))


def messages(result: ValidatedInquiry) -> list[str]:
    return [problem.message for problem in result.problems]


def test_parse_payload_object() -> None:
    assert parse_payload(b'{"name": "Claire"}') == {"name": "Claire"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body is empty: expected a JSON object"),
        (b"name=Claire", "body is not valid JSON: Expecting value (line 1, column 1)"),
        (b'{"name": }', "body is not valid JSON: Expecting value (line 1, column 10)"),
        (b"[" * 100_000, "body is not usable: JSON nested too deeply"),
        (b"[1, 2]", "body must be a JSON object, got a list"),
        (b'"Claire"', "body must be a JSON object, got a string"),
        (b"42", "body must be a JSON object, got a number"),
        (b"null", "body must be a JSON object, got null"),
        (b'{"name": "\xff"}', "body is not valid UTF-8: invalid start byte"),
    ],
)
def test_parse_payload_rejects(body: bytes, message: str) -> None:
    with pytest.raises(InvalidPayloadError) as raised:
        parse_payload(body)
    assert str(raised.value) == message


def test_invalid_payload_error_is_intake_error() -> None:
    assert issubclass(InvalidPayloadError, IntakeError)


@pytest.mark.parametrize("payload", [["a"], "a", None])
def test_validate_inquiry_rejects_non_object(payload: object, catalog: Catalog) -> None:
    with pytest.raises(InvalidPayloadError, match="payload must be a JSON object"):
        validate_inquiry(payload, catalog)  # type: ignore[arg-type]


def test_empty_payload_is_kept_for_review(catalog: Catalog) -> None:
    received = datetime(2027, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    result = validate_inquiry({}, catalog, received_at=received)
    assert result.needs_review is True
    assert result.status == STATUS_TO_REVIEW
    assert result.event is None
    assert result.inquiry.client_name == "Client inconnu"
    assert result.inquiry.submitted_at == received
    assert result.prestation_name == "Autre – Client inconnu – date à confirmer"
    assert [problem.code for problem in result.problems] == [
        "guests_missing",
        "date_missing",
        "event_type_missing",
        "options_missing",
        "name_missing",
        "no_contact",
    ]


def test_no_contact(catalog: Catalog) -> None:
    payload = wedding() | {"email": "", "phone": None}
    result = validate_inquiry(payload, catalog)
    assert messages(result) == ["no email and no phone: the client cannot be reached"]
    assert result.problems[0].code == "no_contact"
    assert result.problems[0].field is None
    assert result.needs_review is True


def test_invalid_contact_details(catalog: Catalog) -> None:
    payload = wedding() | {"email": "claire.martin@", "phone": "12"}
    result = validate_inquiry(payload, catalog)
    assert result.inquiry.email is None
    assert result.inquiry.phone is None
    assert messages(result) == [
        'invalid email address: "claire.martin@"',
        'invalid phone number: "12"',
        "no email and no phone: the client cannot be reached",
    ]


def test_phone_only_is_enough(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"email": None}, catalog)
    assert result.inquiry.phone == "+33600000001"
    assert result.problems == []


def test_missing_name_uses_email(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"name": "   "}, catalog)
    assert result.inquiry.client_name == "Claire Martin"
    assert messages(result) == ['client name not given: filed as "Claire Martin"']
    assert result.prestation_name == "Mariage – Claire Martin – 14/06/2027"


def test_unknown_event_type(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"event_type": " Bar mitzvah "}, catalog)
    assert result.inquiry.event_type == "Autre"
    assert messages(result) == ['event type not in catalog: "Bar mitzvah": filed as Autre']
    assert result.problems[0].code == "event_type_unknown"
    assert result.prestation_name == "Autre – Claire Martin – 14/06/2027"


def test_event_type_ignores_case_and_accents(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"event_type": "SEMINAIRE"}, catalog)
    assert result.inquiry.event_type == "Séminaire"
    assert result.problems == []


def test_guests_beaucoup(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"guests": "beaucoup"}, catalog)
    assert result.inquiry.guests is None
    assert messages(result) == [
        'guests not understood: "beaucoup"',
        "Cocktail dînatoire 12 pièces: guests unknown, line priced at 0",
        "Forfait vins (1/2 bouteille par personne): guests unknown, line priced at 0",
        "Serveur / maître d'hôtel: guests unknown, line priced at 0",
        "Pièce montée: guests unknown, line priced at 0",
    ]
    assert str(result.quote.total_ht) == "0.00"


def test_unknown_date_names_prestation_to_confirm(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"event_date": "un samedi de juin"}, catalog)
    assert result.event is None
    assert result.inquiry.event_date is None
    assert messages(result) == ['event date not understood: "un samedi de juin"']
    assert result.prestation_name == "Mariage – Claire Martin – date à confirmer"


def test_unreadable_time_gives_all_day_event(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"event_time": "en soirée"}, catalog)
    assert result.event is not None
    assert result.event.all_day is True
    assert messages(result) == ['event time not understood: "en soirée": planned as all-day']


def test_problem_order(catalog: Catalog) -> None:
    payload = wedding() | {
        "guests": "10-12",
        "event_date": "14 juin",
        "event_type": "Fête",
        "options": "DJ; cocktail 12p",
        "phone": "12",
    }
    result = validate_inquiry(payload, catalog)
    assert [problem.code for problem in result.problems] == [
        "guests_range",
        "date_year_assumed",
        "event_type_unknown",
        "option_unknown",
        "line_below_min_guests",
        "phone_invalid",
    ]


def test_options_as_one_string(catalog: Catalog) -> None:
    payload = wedding() | {"options": "Champagne, softs;\nLocation mange-debout x 2"}
    result = validate_inquiry(payload, catalog)
    assert [(option.item_id, option.quantity) for option in result.inquiry.options] == [
        ("champagne", None),
        ("softs", None),
        ("mange-debout", 2),
    ]


def test_extra_keys_kept(catalog: Catalog) -> None:
    payload = wedding() | {"utm_source": "instagram", "newsletter": True}
    result = validate_inquiry(payload, catalog)
    assert result.inquiry.extra == {"utm_source": "instagram", "newsletter": True}
    assert result.problems == []


def test_loose_types_never_raise(catalog: Catalog) -> None:
    payload = {"name": 42, "phone": 600000001, "guests": [80], "options": [None, 3, "softs"]}
    result = validate_inquiry(payload, catalog)
    assert result.inquiry.client_name == "42"
    assert result.inquiry.phone == "+33600000001"
    assert result.inquiry.guests is None
    assert [option.text for option in result.inquiry.options] == ["3", "softs"]


def test_hours_from_form(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"hours": "7"}, catalog)
    assert result.inquiry.hours == Decimal(7)
    assert result.event is not None
    assert result.event.end.isoformat() == "2027-06-15T01:30:00+02:00"
    assert str(result.quote.lines[2].quantity) == "28"


def test_default_event_hours_override(catalog: Catalog) -> None:
    result = validate_inquiry(wedding(), catalog, default_event_hours=Decimal("4"))
    assert result.event is not None
    assert result.event.end.isoformat() == "2027-06-14T22:30:00+02:00"
    assert str(result.quote.lines[2].quantity) == "16"


def test_guests_per_server_setting(catalog: Catalog) -> None:
    result = validate_inquiry(wedding(), catalog, guests_per_server=40)
    assert str(result.quote.lines[2].quantity) == "10"


def test_other_timezone(catalog: Catalog) -> None:
    result = validate_inquiry(wedding(), catalog, timezone="America/Martinique")
    assert result.event is not None
    assert result.event.start.isoformat() == "2027-06-14T18:30:00-04:00"


def test_event_date_before_submission(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"event_date": "01/03/2027"}, catalog)
    assert messages(result) == ["event date 01/03/2027 is before the submission date 02/03/2027"]


def test_derived_submission_id_is_stable(catalog: Catalog) -> None:
    payload = wedding()
    del payload["submission_id"]
    first = validate_inquiry(payload, catalog).inquiry.submission_id
    resubmitted = payload | {"submitted_at": "2027-03-02T10:20:00+01:00", "name": "CLAIRE MARTIN"}
    second = validate_inquiry(resubmitted, catalog).inquiry.submission_id
    other = validate_inquiry(payload | {"guests": "81"}, catalog).inquiry.submission_id
    assert first.startswith("form-")
    assert len(first) == len("form-") + 32
    assert second == first
    assert other != first


def test_derived_submission_id_keeps_unread_text(catalog: Catalog) -> None:
    payload = wedding() | {"submission_id": ""}
    first = validate_inquiry(payload | {"event_date": "bientôt"}, catalog)
    second = validate_inquiry(payload | {"event_date": "plus tard"}, catalog)
    assert first.inquiry.submission_id != second.inquiry.submission_id


def test_given_submission_id_is_trimmed(catalog: Catalog) -> None:
    result = validate_inquiry(wedding() | {"submission_id": " site-1 "}, catalog)
    assert result.inquiry.submission_id == "site-1"


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"submission_id": " site-1 "},
        {"submission_id": 1234},
        {"submission_id": ""},
        {"submission_id": None, "event_date": "bientôt"},
    ],
    ids=["given", "padded", "number", "empty", "absent-unread-date"],
)
def test_submission_id_of_matches_validation(catalog: Catalog, changes: dict) -> None:
    payload = wedding() | changes
    expected = validate_inquiry(payload, catalog).inquiry.submission_id
    assert submission_id_of(payload, catalog) == expected


def test_submission_id_of_rejects_non_object(catalog: Catalog) -> None:
    with pytest.raises(InvalidPayloadError, match="JSON object, got a list"):
        submission_id_of([], catalog)  # type: ignore[arg-type]


def test_to_dict_is_json_with_decimal_strings(catalog: Catalog) -> None:
    data = validate_inquiry(wedding(), catalog).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["quote"]["lines"][0]["total_ht"] == "1920.00"
    assert data["quote"]["lines"][0]["quantity"] == "80"
    assert data["quote"]["total_ttc"] == "4676.00"
    assert data["inquiry"]["hours"] == "5"
    assert data["inquiry"]["event_date"] == "2027-06-14"
    assert data["inquiry"]["event_time"] == "18:30:00"
    assert data["needs_review"] is False
    assert data["status"] == "Nouvelle demande"


@pytest.mark.parametrize("name", ["wedding-lyon", "birthday-no-time", "unknown-option-range"])
def test_from_dict_round_trip(name: str, catalog: Catalog) -> None:
    payload = json.loads((SAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    result = validate_inquiry(payload, catalog)
    data = json.loads(json.dumps(result.to_dict()))
    restored = ValidatedInquiry.from_dict(data)
    assert restored == result
    assert restored.to_dict() == result.to_dict()
    assert restored.quote.total_ttc == result.quote.total_ttc


FORM_FIELDS = [
    "submission_id", "submitted_at", "name", "email", "phone", "event_type", "event_date",
    "event_time", "address", "guests", "options", "message", "hours",
]  # fmt: skip
ODD_VALUES = [None, True, 0, -1, 1.5, float("nan"), "", "\x00", [], [{}], {"a": [1]}, "x" * 5000]


@pytest.mark.parametrize("field", FORM_FIELDS)
def test_odd_field_values_never_raise(field: str, catalog: Catalog) -> None:
    for value in ODD_VALUES:
        result = validate_inquiry(wedding() | {field: value}, catalog)
        assert result.prestation_name
        assert json.loads(json.dumps(result.to_dict()))["prestation_name"]


def test_parse_payload_drops_nul_and_surrogates():
    raw = b'{"name": "Jean\\u0000Dupont", "message": "a\\ud800b"}'

    payload = parse_payload(raw)

    assert payload["name"] == "Jean Dupont"
    assert payload["message"] == "ab"
