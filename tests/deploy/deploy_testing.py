"""Real processes for the deployment tests: a private Redis, ``dlgrade serve`` and ``dlgrade worker``.

Everything listens on 127.0.0.1 only, on free ports; every process is started here in a session of
its own and stopped by its pid (or its own process group), never by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
ARTIFACTS = ROOT / "tests" / "artifacts"
PG_URL = os.environ.get("DLGRADE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
CORRECT = CORPUS / "layers" / "correct_loops.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_problem() -> str | None:
    """None when the local PostgreSQL answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Proc:
    """A child process in a session of its own (so what it starts can be stopped with it)."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path, cwd: Path = ROOT):
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def kill9(self) -> None:
        """kill -9 this process alone (what it started notices and exits by itself)."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL of its process group (the zygote and graders it started)."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.popen.returncode is None:
            self.popen.wait(timeout=10)


class RedisServer:
    """A private, non-persistent Redis on a port of its own (never the machine's 6379)."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.port = port or free_port()
        self.workdir = workdir
        self.proc: Proc | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = Proc([server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                          "no", "--dir", str(self.workdir)], dict(os.environ), self.workdir / "redis.log",
                         cwd=self.workdir)
        wait_for(self.ping, 10, f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(timeout=10)
            self.proc = None


class Cluster:
    """``dlgrade serve`` in distributed mode and any number of ``dlgrade worker`` processes."""

    def __init__(self, env: dict[str, str], workdir: Path):
        self.env = {**os.environ, **env}
        self.workdir = workdir
        self.api: Proc | None = None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers: list[Proc] = []
        self.http = httpx.Client(base_url=self.url, timeout=15)
        self._n = 0

    def dlgrade(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "grader.cli", *args]

    def start_api(self) -> None:
        self.api = Proc(self.dlgrade("serve", "--host", "127.0.0.1", "--port", str(self.port),
                                     "--log-level", "warning"), self.env, self.workdir / "api.log")

        def up() -> bool:
            assert self.api.alive(), self.api.log()
            try:
                return self.http.get("/healthz").status_code in (200, 503)
            except httpx.HTTPError:
                return False

        wait_for(up, 60, "the API to answer /healthz")

    def start_worker(self) -> Proc:
        self._n += 1
        worker = Proc(self.dlgrade("worker", "--log-level", "info"), self.env, self.workdir / f"worker{self._n}.log")
        self.workers.append(worker)
        return worker

    def live_workers(self) -> dict[int, dict]:
        """Workers the API sees (by pid), from /healthz."""
        return {w["pid"]: w for w in self.health()["queue"]["worker_list"]}

    def wait_workers(self, pids: set[int], timeout: float = 60) -> None:
        def seen() -> bool:
            for w in self.workers:
                if w.pid in pids:
                    assert w.alive(), w.log()
            return pids <= set(self.live_workers())

        wait_for(seen, timeout, f"workers {sorted(pids)} to report to the API", interval=0.2)

    def health(self) -> dict:
        return self.http.get("/healthz").json()

    def token(self, student: str) -> str:
        out = subprocess.run(self.dlgrade("token", "create", "--student", student), cwd=ROOT, env=self.env,
                             capture_output=True, text=True, timeout=60, check=True)
        return out.stdout.strip()

    def submit(self, token: str, path: Path = CORRECT, data: bytes | None = None) -> int:
        files = {"file": (path.name, data if data is not None else path.read_bytes())}
        r = self.http.post("/api/v1/submissions", data={"exercise": "layers"}, files=files,
                           headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 202, r.text
        return r.json()["id"]

    def submission(self, token: str, sid: int) -> dict:
        r = self.http.get(f"/api/v1/submissions/{sid}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return r.json()

    def wait_final(self, token: str, ids: list[int], timeout: float) -> dict[int, dict]:
        done: dict[int, dict] = {}

        def final() -> bool:
            for sid in ids:
                if sid not in done:
                    sub = self.submission(token, sid)
                    if sub["status"] in ("done", "error"):
                        done[sid] = sub
            return len(done) == len(ids)

        try:
            wait_for(final, timeout, f"submissions {ids} to be graded", interval=0.25)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; graded: {sorted(done)}\n{self.logs()}") from None
        return done

    def logs(self) -> str:
        parts = [f"--- api ---\n{self.api.log(2000)}"] if self.api else []
        parts += [f"--- worker pid {w.pid} ---\n{w.log(2000)}" for w in self.workers]
        return "\n".join(parts)

    def stop(self) -> None:
        for w in self.workers:
            w.stop()
        if self.api is not None:
            self.api.stop()
        self.http.close()


def slow_submission(seconds: float) -> bytes:
    """A correct submission that takes about ``seconds`` to load (statements under the time budget)."""
    steps = max(1, round(seconds / 0.5))
    return ("import time\n" + "time.sleep(0.5)\n" * steps).encode() + CORRECT.read_bytes()
