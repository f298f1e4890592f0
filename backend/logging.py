"""structlog set-up: console output in a terminal, JSON lines otherwise.

Context bound with `structlog.contextvars` (run_id, submission_id, step) appears on every
event logged inside a run. Values of keys that look like secrets are masked.
"""

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_MARKERS = ("token", "secret", "password", "authorization", "api_key", "credentials")


def _mask_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if any(marker in key.lower() for marker in _SECRET_MARKERS):
            event_dict[key] = "***"
    return event_dict


def configure_logging(level: str = "INFO", *, json_output: bool | None = None) -> None:
    """Configure structlog and the standard library root logger; safe to call twice."""
    if json_output is None:
        json_output = not sys.stderr.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # One write per line, because print() wrote the line and its newline apart and the
        # lines of processes sharing stderr (`deme serve --web-processes`) ran together.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # The SDKs log every request at INFO with URLs; keep them quiet unless they warn.
    for name in ("httpx", "notion_client", "googleapiclient", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
