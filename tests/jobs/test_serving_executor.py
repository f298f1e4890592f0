"""`deme serve --web-processes`: the parent's run executor failing after it started."""

import asyncio
import threading

import pytest

from backend import serving
from backend.config import Settings


def test_failed_executor_exits_with_status_1(monkeypatch) -> None:
    terminated = threading.Event()
    monkeypatch.setattr(serving.os, "kill", lambda pid, signal_number: terminated.set())
    # uvicorn.run returns once the SIGTERM sent by the failed executor is handled.
    monkeypatch.setattr(serving.uvicorn, "run", lambda *args, **kwargs: terminated.wait(10))

    async def failing_execute(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._ready.set()
        await asyncio.sleep(0)
        raise RuntimeError("executor failed after start")

    monkeypatch.setattr(serving.RunExecutorThread, "_execute", failing_execute)

    with pytest.raises(SystemExit) as exit_info:
        serving.serve(Settings(_env_file=None), host="127.0.0.1", port=0, web_processes=2)

    assert terminated.is_set()
    assert exit_info.value.code == 1
