"""Helpers for the adversarial sandbox suite.

Every attack runs inside a worker started by the test's own Zygote; every loop is bounded,
every wait has a timeout, network tests only touch 127.0.0.1, and the only processes the
tests kill are ones they started (by PID).
"""

from __future__ import annotations

import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from grader.loader import load_submission
from grader.options import GradeOptions
from grader.runner.pool import JobConfig, Zygote
from grader.runner.session import Session

ROOT = Path(__file__).resolve().parents[2]
LIMITS = {"memory_bytes": 1 << 30, "cpu_seconds": 20, "file_bytes": 16 << 20, "open_files": 64, "processes": 16}
SECRET_ENV = {"DLGRADE_SECRET_TOKEN": "tok-5ecret-from-the-grader", "DATABASE_URL": "postgresql://u:pw@db/dlgrade"}


def is_root() -> bool:
    return os.geteuid() == 0


@pytest.fixture(scope="module", params=["numpy", "torch"])
def zygote(request):
    """One warm pool per module, started while the grader holds secrets in its environment.

    Every attack runs twice: against the NumPy zygote of the twelve NumPy exercises, and against the
    zygote that has PyTorch imported (the `autograd` exercise, §3.8), whose filesystem view also shows
    PyTorch and its dependencies."""
    saved = {k: os.environ.get(k) for k in SECRET_ENV}
    os.environ.update(SECRET_ENV)
    z = Zygote(preload=("torch",) if request.param == "torch" else ())
    z.warm()
    try:
        yield z
    finally:
        z.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def config(sandbox: dict | None = None, **limits) -> JobConfig:
    return GradeOptions(limits={**LIMITS, **limits}, statement_budget=2.0, sandbox=dict(sandbox or {})).job_config()


def session(zygote, source: str, cfg: JobConfig | None = None, item_timeout: float = 10.0) -> Session:
    units = load_submission(textwrap.dedent(source).encode(), "attack.py").units
    return Session(units, zygote, cfg or config(), item_timeout=item_timeout)


def run(zygote, source: str, fn: str = "probe", *args, cfg: JobConfig | None = None, item_timeout: float = 10.0):
    """Load ``source`` in a sandboxed worker and return ``fn(*args)`` (decoded)."""
    with session(zygote, source, cfg, item_timeout) as s:
        return s.call(fn, *args)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False


def wait_gone(pid: int, timeout: float = 3.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return not alive(pid)


def pids_named(comm: str) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == comm:
                        out.append(int(entry))
            except OSError:
                pass
    return out


@pytest.fixture
def sleeper():
    """A process of the grader's (root, outside the sandbox) that student code will try to kill."""
    proc = subprocess.Popen(["sleep", "30"])
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=5)
