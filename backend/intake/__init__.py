"""Intake: from a website form's payload to a validated, priced inquiry.

`validate_inquiry` is the pipeline's validate step. It reads no files and calls no
service: the caller loads the `Catalog` once (`Catalog.load(settings.catalog_path)`).
"""

from backend.intake.catalog import Catalog, CatalogItem, OptionMatch
from backend.intake.errors import CatalogError, IntakeError, InvalidPayloadError
from backend.intake.inquiry import EventSlot, FormPayload, Inquiry, RequestedOption
from backend.intake.pricing import Quote, QuoteLine, price_quote
from backend.intake.problems import Problem
from backend.intake.validation import ValidatedInquiry, parse_payload, validate_inquiry

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogItem",
    "EventSlot",
    "FormPayload",
    "Inquiry",
    "IntakeError",
    "InvalidPayloadError",
    "OptionMatch",
    "Problem",
    "Quote",
    "QuoteLine",
    "RequestedOption",
    "ValidatedInquiry",
    "parse_payload",
    "price_quote",
    "validate_inquiry",
]
