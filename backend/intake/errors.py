"""Exceptions raised by intake.

Only transport-level faults and a broken catalog raise. Business problems in an
inquiry (an unknown option, an unreadable date) are reported as `Problem`s.
"""


class IntakeError(Exception):
    """Base class of the errors raised by `backend.intake`."""


class InvalidPayloadError(IntakeError):
    """The request body is not a JSON object, so no inquiry can be read from it."""


class CatalogError(IntakeError):
    """The catalog file is missing, is not valid JSON or contains an invalid item."""
