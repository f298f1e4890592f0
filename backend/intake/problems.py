"""Problems found in an inquiry: each one is reported to staff and marks it for review."""

from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    """A problem found while reading or pricing an inquiry.

    `code` is a stable identifier for programs, `message` the English sentence shown to
    staff, and `field` the form field it concerns (None when it concerns no single field).
    """

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    field: str | None = None
