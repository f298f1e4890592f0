"""`deme serve --web-processes`: the parent's run executor failing, and a port in use."""

import asyncio
import socket
import threading

import pytest

from backend import serving
from backend.config import Settings
from backend.errors import ConfigurationError


def test_failed_executor_exits_with_status_1(monkeypatch) -> None:
    # serve() sets this for its HTTP processes; the test process gets it back unset.
    monkeypatch.delenv(serving.PARENT_PID_VARIABLE, raising=False)
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


def test_port_in_use_fails_before_executor_starts(monkeypatch) -> None:
    started = threading.Event()
    monkeypatch.setattr(serving.RunExecutorThread, "start", lambda self: started.set())
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]

        with pytest.raises(ConfigurationError, match=f"cannot listen on 127.0.0.1:{port}"):
            serving.serve(Settings(_env_file=None), host="127.0.0.1", port=port, web_processes=2)

    assert not started.is_set()
