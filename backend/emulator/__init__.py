"""Local emulator of the Notion and Google Workspace APIs that deme calls."""

from backend.emulator.bootstrap import (
    CLIENTS_DATA_SOURCE_ID,
    DATA_SOURCE_IDS,
    POOL_FOLDER_ID,
    PRESTATIONS_DATA_SOURCE_ID,
    QUOTE_LINES_DATA_SOURCE_ID,
    TEMPLATE_SPREADSHEET_ID,
)
from backend.emulator.faults import FaultInjector, FaultRule
from backend.emulator.latency import LatencyProfile
from backend.emulator.server import RunningEmulator, start_emulator
from backend.emulator.store import SentMessage, Store

__all__ = [
    "CLIENTS_DATA_SOURCE_ID",
    "DATA_SOURCE_IDS",
    "POOL_FOLDER_ID",
    "PRESTATIONS_DATA_SOURCE_ID",
    "QUOTE_LINES_DATA_SOURCE_ID",
    "TEMPLATE_SPREADSHEET_ID",
    "FaultInjector",
    "FaultRule",
    "LatencyProfile",
    "RunningEmulator",
    "SentMessage",
    "Store",
    "start_emulator",
]
