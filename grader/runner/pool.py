"""Starting student processes: a warm fork server (zygote) or a cold interpreter per job.

The zygote is a separate interpreter started with ``python -I -S student.py`` that
imports NumPy and nothing of the grader; it forks one fresh process per
submission, so no job pays interpreter start-up and ``import numpy`` and no
process that ran student code is ever reused.  The grader process itself never
forks student code: a fork would inherit its memory (answer keys, settings).
"""

from __future__ import annotations

# Light imports only (no dataclasses, pathlib, NumPy): `dlgrade check` starts the zygote from here first.
import json
import os
import socket
import subprocess
import sys
import threading

from grader.sandbox.env import NUMPY_SITE, student_env

STUDENT_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "student.py")


class JobConfig:
    """What a student process is told: its limits.  Never secrets, never expected values.

    Built by ``GradeOptions.job_config()`` (``grader/options.py`` holds the defaults)."""

    def __init__(self, *, limits: dict, budget: float, output_cap: int, sandbox: dict | None = None):
        self.limits = dict(limits or {})
        self.budget = budget
        self.output_cap = output_cap
        self.sandbox = dict(sandbox or {})

    def __repr__(self) -> str:
        return (f"JobConfig(limits={self.limits!r}, budget={self.budget!r}, output_cap={self.output_cap!r}, "
                f"sandbox={self.sandbox!r})")

    def to_json(self) -> str:
        from grader.sandbox.probe import job_sandbox  # every layer this machine offers, required (fail closed)

        return json.dumps({"limits": self.limits, "budget": self.budget,
                           "output_cap": self.output_cap, "sandbox": job_sandbox(self.sandbox)})


class Zygote:
    """A warm fork server.  Thread-safe: ``spawn`` may be called from many threads."""

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.proc = subprocess.Popen(
            [self.python, "-I", "-S", STUDENT_SCRIPT, "zygote", str(theirs.fileno()), NUMPY_SITE],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=student_env(), cwd="/", close_fds=True,
        )
        from grader.sandbox.probe import start_probe

        start_probe()  # which isolation layers this machine offers: probed while the zygote starts
        theirs.close()
        self.control = ours

    def warm(self) -> None:
        """Start the fork server now, so its ``import numpy`` overlaps with the caller's work."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self._start()

    def spawn(self, config: JobConfig) -> socket.socket:
        """A socket connected to a fresh monitor + student process."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self.lock:
                for attempt in range(2):
                    if self.proc is None or self.proc.poll() is not None:
                        self._start()
                    try:
                        socket.send_fds(self.control, [config.to_json().encode()], [theirs.fileno()])
                        break
                    except OSError:
                        self.close_locked()
                        if attempt:
                            raise
        finally:
            theirs.close()
        return ours

    def close_locked(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=5)
            self.proc = None

    def close(self) -> None:
        with self.lock:
            self.close_locked()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


class ColdStarter:
    """One new interpreter per job (no warm pool): the baseline the benchmarks compare to."""

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable
        self.procs: list[subprocess.Popen] = []

    def spawn(self, config: JobConfig) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        proc = subprocess.Popen(
            [self.python, "-I", "-S", STUDENT_SCRIPT, "serve", str(theirs.fileno()), NUMPY_SITE,
             config.to_json()],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=student_env(), cwd="/", close_fds=True,
        )
        theirs.close()
        self.procs = [p for p in self.procs if p.poll() is None] + [proc]
        return ours

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=5)
        self.procs = []


_default: Zygote | None = None
_default_lock = threading.Lock()


def default_starter() -> Zygote:
    """The process-wide warm pool (started on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Zygote()
        return _default
