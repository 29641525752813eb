"""A real ``dlgrade serve`` (uvicorn) in a subprocess on 127.0.0.1 and a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None):
        self.env = {**os.environ, **env}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "LiveServer":
        log = open(self.log_path, "ab")
        # its own session, so that the zygote and graders it starts can be cleaned up with it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code in (200, 503):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server did not start within {timeout} s:\n{self.log_path.read_text()[-3000:]}")

    def _exited(self, timeout: float) -> bool:
        """Wait for the server to exit without reaping it, so its pid (= its group id) stays ours."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
            time.sleep(0.05)
        return False

    def _reap(self) -> None:
        try:  # the zygote and graders it left behind: the server's own process group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self.proc = None

    def kill(self) -> None:
        """kill -9 the server, then what it started."""
        if self.proc is None:
            return
        if not self._exited(0):
            os.kill(self.proc.pid, signal.SIGKILL)
            self._exited(10)
        self._reap()

    def stop(self) -> None:
        """A graceful stop (SIGTERM); kill -9 if it does not exit in time."""
        if self.proc is None:
            return
        if not self._exited(0):
            self.proc.send_signal(signal.SIGTERM)
            if not self._exited(20):
                os.kill(self.proc.pid, signal.SIGKILL)
                self._exited(10)
        self._reap()

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
