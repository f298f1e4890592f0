"""Field mapping: configured labels, French and English defaults, and metadata clashes."""

import json
from datetime import date

import pytest

from backend.config import PACKAGE_DIR
from backend.intake.catalog import Catalog
from backend.intake.providers import Answer, FormMappings, get_provider, read_delivery
from backend.intake.providers.mapping import FormMappingsError, build_form
from backend.intake.validation import validate_inquiry

from .samples import SAMPLES, first_sample

CATALOG = Catalog.load(PACKAGE_DIR / "data" / "catalog.json")


def form_of(answers: list[Answer], mappings: FormMappings | None = None, form=None) -> dict:
    mapping = (mappings or FormMappings({})).for_form("tally", form)
    return build_form(answers, mapping, submission_id="x", submitted_at=None)


def test_english_labels_map_by_default():
    answers = [
        Answer("q1", "Full name", "Jane Doe"),
        Answer("q2", "Email address", "jane@example.com"),
        Answer("q3", "Number of guests", 40),
        Answer("q4", "Event date", "2027-09-01"),
    ]

    form = form_of(answers)

    assert form["name"] == "Jane Doe"
    assert form["email"] == "jane@example.com"
    assert form["guests"] == 40
    assert form["event_date"] == "2027-09-01"


def test_configured_label_wins_over_default():
    answers = [
        Answer("q1", "Date", "2027-01-01"),
        Answer("q2", "Jour J", "2027-06-14"),
    ]
    mappings = FormMappings({"tally/mariage": {"event_date": ("Jour J",)}})

    assert form_of(answers, mappings, "mariage")["event_date"] == "2027-06-14"
    assert form_of(answers, mappings, "autre")["event_date"] == "2027-01-01"


def test_unclaimed_answers_kept_by_label():
    answers = [Answer("q1", "Allergies", "Sans gluten"), Answer("q2", "Nom", "Martin")]

    form = form_of(answers)

    assert form["other_answers"] == {"Allergies": "Sans gluten"}


def test_first_and_last_name_joined():
    answers = [Answer("a", "Prénom", "Élodie"), Answer("b", "Nom de famille", "Lefèvre")]

    assert form_of(answers)["name"] == "Élodie Lefèvre"


def test_elementor_meta_date_does_not_replace_event_date():
    # Elementor's simple body merges its "Date" metadata row (the submission date).
    sample = first_sample("elementor")
    mapping = FormMappings({}).for_form("elementor", None)

    received, form = read_delivery(get_provider("elementor"), sample.delivery(), mapping)

    assert form["event_date"] == "14/06/2027"
    assert received.metadata["Date"] == "2 mars 2027"


def test_elementor_field_titled_date_is_event_date():
    # The "Advanced Data" body keeps a field titled "Date" apart from the metadata rows.
    sample = next(s for s in SAMPLES if s.file == "elementor-advanced.txt")
    mapping = FormMappings({}).for_form("elementor", None)

    _received, form = read_delivery(get_provider("elementor"), sample.delivery(), mapping)
    inquiry = validate_inquiry(form, CATALOG).inquiry

    assert inquiry.event_date == date(2027, 6, 14)
    assert "2 mars 2027" not in json.dumps(form, ensure_ascii=False)


def test_generic_submitted_at_does_not_replace_event_date():
    # A Formspree field named "date" next to its own "_date" metadata.
    sample = first_sample("formspree")
    mapping = FormMappings({}).for_form("formspree", None)

    received, form = read_delivery(get_provider("formspree"), sample.delivery(), mapping)

    assert form["event_date"] == "14-06-2027"
    assert received.submitted_at == "2027-03-02T09:15:41.123Z"


def test_mappings_file_loaded(tmp_path):
    path = tmp_path / "forms.json"
    path.write_text(json.dumps({"typeform/devis": {"guests": "Combien serez-vous ?"}}))

    mappings = FormMappings.load(path)

    assert mappings.knows("typeform", "devis")
    assert not mappings.knows("typeform", "autre")
    assert mappings.for_form("typeform", "devis").labels["guests"][0] == "combienserezvous"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must hold an object"),
        ('{"tally": {"invites": ["x"]}}', "unknown field 'invites'"),
        ('{"tally": {"guests": 3}}', "must be a list of labels"),
    ],
)
def test_mappings_file_errors_name_fix(tmp_path, content, message):
    path = tmp_path / "forms.json"
    path.write_text(content)

    with pytest.raises(FormMappingsError, match=message):
        FormMappings.load(path)


def test_mappings_file_missing(tmp_path):
    with pytest.raises(FormMappingsError, match="unset FORM_MAPPINGS_PATH"):
        FormMappings.load(tmp_path / "absent.json")
