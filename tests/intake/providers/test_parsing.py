"""Each provider's recorded-shape sample is read into the same normalised inquiry."""

from datetime import date, time

import pytest

from backend.config import PACKAGE_DIR
from backend.intake.catalog import Catalog
from backend.intake.providers import FormMappings, get_provider, read_delivery
from backend.intake.providers.mapping import FieldMapping
from backend.intake.validation import validate_inquiry

from .samples import PROVIDER_SAMPLES, Sample


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(PACKAGE_DIR / "data" / "catalog.json")


def mapping_for(sample: Sample) -> FieldMapping:
    configured = {
        source: {name: tuple(labels) for name, labels in fields.items()}
        for source, fields in (sample.mappings or {}).items()
    }
    return FormMappings(configured).for_form(sample.provider, None)


@pytest.mark.parametrize("sample", PROVIDER_SAMPLES, ids=lambda sample: sample.file)
def test_sample_reads_normalised_inquiry(sample: Sample, catalog: Catalog):
    provider = get_provider(sample.provider)

    received, form = read_delivery(provider, sample.delivery(), mapping_for(sample))
    validated = validate_inquiry(form, catalog)

    inquiry = validated.inquiry
    assert received.submission_id == sample.submission_id
    assert inquiry.client_name == "Élodie Lefèvre"
    assert inquiry.email == "elodie.lefevre@example.fr"
    assert inquiry.phone == "+33612345678"
    assert inquiry.event_type == "Mariage"
    assert inquiry.event_date == date(2027, 6, 14)
    assert inquiry.event_time == time(18, 30)
    assert inquiry.guests == 80
    assert [option.text for option in inquiry.options] == [
        "Cocktail dînatoire 12 pièces",
        "Pièce montée",
    ]
    assert all(option.item_id for option in inquiry.options), inquiry.options
    assert "Chèvre d'Or" in (inquiry.address or "")
    assert "Èze" in (inquiry.address or "")
    assert (inquiry.message or "").startswith("Nous aimerions un dîner champêtre")
    assert validated.problems == [], validated.problems


@pytest.mark.parametrize("sample", PROVIDER_SAMPLES, ids=lambda sample: sample.file)
def test_sample_keeps_submission_time(sample: Sample, catalog: Catalog):
    provider = get_provider(sample.provider)

    received, form = read_delivery(provider, sample.delivery(), mapping_for(sample))

    validated = validate_inquiry(form, catalog)
    if received.submitted_at is not None:
        assert validated.inquiry.submitted_at.date() == date(2027, 3, 2)
    assert not [p for p in validated.problems if p.field == "submitted_at"]
