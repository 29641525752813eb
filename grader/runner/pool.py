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

from grader.sandbox.env import NUMPY_SITE, package_site, student_env

STUDENT_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "student.py")
READY_TIMEOUT = 120.0  # seconds a preloading zygote may take to import its packages


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


def preload_arg(preload: tuple[str, ...]) -> list[str]:
    """The student script's optional last argument: ``{"torch": "/its/site-packages"}`` as JSON."""
    if not preload:
        return []
    sites = {}
    for name in preload:
        site = package_site(name)
        if site is None:
            raise RuntimeError(f"the package {name!r} is not installed")
        sites[name] = site
    return [json.dumps(sites)]


class Zygote:
    """A warm fork server.  Thread-safe: ``spawn`` may be called from many threads."""

    def __init__(self, python: str | None = None, preload: tuple[str, ...] = ()):
        self.python = python or sys.executable
        self.preload = tuple(preload)
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.ready = True

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.proc = subprocess.Popen(
            [self.python, "-I", "-S", STUDENT_SCRIPT, "zygote", str(theirs.fileno()), NUMPY_SITE,
             *preload_arg(self.preload)],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=student_env(), cwd="/", close_fds=True,
        )
        from grader.sandbox.probe import start_probe

        start_probe()  # which isolation layers this machine offers: probed while the zygote starts
        theirs.close()
        self.control = ours
        self.ready = not self.preload

    def _await_ready(self) -> None:
        """A preloading zygote imports PyTorch first (≈ 1.7 s, far more on a loaded machine): wait for
        its "R" so that a job's own start-up deadline does not include that import."""
        import select

        if self.ready:
            return
        if not select.select([self.control], [], [], READY_TIMEOUT)[0] or self.control.recv(1) != b"R":
            raise OSError(f"the zygote preloading {', '.join(self.preload)} did not become ready "
                          f"within {READY_TIMEOUT:g} s")
        self.ready = True

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
                        self._await_ready()
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

    def __init__(self, python: str | None = None, preload: tuple[str, ...] = ()):
        self.python = python or sys.executable
        self.preload = tuple(preload)
        self.procs: list[subprocess.Popen] = []
        # seconds until the monitor reports: a cold start pays the preloaded packages' import in the job
        self.start_seconds = 10.0 + (READY_TIMEOUT if self.preload else 0.0)

    def spawn(self, config: JobConfig) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        proc = subprocess.Popen(
            [self.python, "-I", "-S", STUDENT_SCRIPT, "serve", str(theirs.fileno()), NUMPY_SITE,
             config.to_json(), *preload_arg(self.preload)],
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
        for sibling in self.__dict__.get("_siblings", {}).values():
            sibling.close()


_defaults: dict[tuple[str, ...], Zygote] = {}
_default_lock = threading.Lock()


def default_starter(preload: tuple[str, ...] = ()) -> Zygote:
    """The process-wide warm pool (started on first use); one per set of preloaded packages."""
    key = tuple(sorted(preload))
    with _default_lock:
        if key not in _defaults:
            _defaults[key] = Zygote(preload=key)
        return _defaults[key]


def with_preload(starter, preload: tuple[str, ...]):
    """A starter whose student processes have ``preload`` imported: ``starter`` itself if it has, else
    the process-wide zygote for it (a ``ColdStarter`` gets a cold sibling with the same interpreter)."""
    if not preload or set(preload) <= set(getattr(starter, "preload", ())):
        return starter
    if isinstance(starter, ColdStarter):
        key = tuple(sorted(set(preload) | set(starter.preload)))
        siblings = starter.__dict__.setdefault("_siblings", {})
        if key not in siblings:
            siblings[key] = ColdStarter(starter.python, key)
        return siblings[key]
    return default_starter(tuple(sorted(set(preload) | set(getattr(starter, "preload", ())))))


def close_defaults() -> None:
    """End every process-wide zygote (a worker shutting down)."""
    with _default_lock:
        zygotes = list(_defaults.values())
    for z in zygotes:
        z.close()
