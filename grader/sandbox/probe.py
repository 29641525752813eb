"""Isolation of student code, grader side: which layers this machine offers, and per-job settings.

The layers themselves are applied in the student process by ``grader/sandbox/child.py`` (a standalone
file: the student process runs without the ``grader`` package).  This module

- probes once per process which layers work here (``protection_details`` /
  ``protection_report``), by running ``child.py probe`` in a fresh interpreter that
  applies every layer to a throw-away child, exactly as a job does;
- completes each job's ``sandbox`` settings (``job_sandbox``): every layer the probe found is
  requested *and required*, so a layer that fails to apply in a job stops that job instead of
  silently running it with less isolation (fail closed);
- answers ``full_isolation()`` for the HTTP service (which refuses untrusted students without
  it unless ``DLGRADE_ALLOW_UNSANDBOXED=1``), and feeds ``dlgrade doctor`` and the CLI warning.

See SECURITY.md for the threat model and what each layer stops.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger("dlgrade.sandbox")

CHILD_SCRIPT = str(Path(__file__).with_name("child.py"))

#: Every layer, what it protects, and whether "full isolation" needs it (same order as the probe).
LAYERS: dict[str, tuple[str, bool]] = {
    "unprivileged_user": ("student code runs as a non-root uid with no capabilities and no_new_privs", True),
    "dedicated_uid": ("a uid of its own per job (root only): per-job RLIMIT_NPROC, nothing shared", False),
    "pid_namespace": ("own PID namespace: sees and signals only its own processes; all die with it", True),
    "network_namespace": ("own network namespace: no interfaces, not even loopback", True),
    "filesystem_view": ("allow-listed read-only view (system, stdlib, NumPy) + private /tmp; nothing else", True),
    "ipc_uts_namespace": ("own SysV IPC and hostname namespaces", True),
    "seccomp": ("syscall filter: no exec, fork, ptrace, mount, namespaces, non-UNIX sockets, bpf...", True),
    "rlimits": ("address space, CPU time, file size, open files, no core dumps", True),
    "cgroup_memory": ("per-job memory cgroup (counts tmpfs and every thread), OOM-kill named", False),
    "cgroup_pids": ("per-job pids cgroup: bounded processes and threads", False),
    "environment_scrubbed": ("tokens, database URLs and other grader variables never reach the student process", True),
}

_lock = threading.Lock()
_details: dict[str, dict] | None = None
_running: subprocess.Popen | None = None  # a probe started ahead of need (start_probe)


class _Cached(Exception):
    """The probe's findings came from the disk cache."""


class SandboxUnavailable(RuntimeError):
    """Full isolation was required but this machine does not offer it."""


def _spawn_probe() -> subprocess.Popen:
    from grader.sandbox.env import NUMPY_SITE, student_env

    return subprocess.Popen([sys.executable, "-I", "-S", CHILD_SCRIPT, "probe", NUMPY_SITE],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=student_env(), cwd="/", close_fds=True)


# The probe's findings are kept on disk for an hour, keyed by user, boot, kernel, interpreter and probe
# code, so that `dlgrade check` does not start a third interpreter beside itself and the zygote.  A stale
# entry can only fail closed: a layer that no longer applies makes the job a grader error.
PROBE_CACHE_SECONDS = 3600


def _probe_cache_path() -> Path | None:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
        code = os.stat(CHILD_SCRIPT).st_mtime_ns
    except OSError:
        return None
    import hashlib

    key = hashlib.sha256(f"{os.geteuid()}|{boot}|{os.uname().release}|{sys.executable}|{code}".encode())
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dlgrade" / f"probe-{key.hexdigest()[:20]}.json"


def _read_probe_cache() -> dict | None:
    path = _probe_cache_path()
    try:
        if path is None or time.time() - path.stat().st_mtime > PROBE_CACHE_SECONDS:
            return None
        found = json.loads(path.read_text())
        return found if isinstance(found, dict) and found else None
    except (OSError, ValueError):
        return None


def _write_probe_cache(found: dict) -> None:
    path = _probe_cache_path()
    if path is None or not found:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(found, f)
        os.replace(tmp, path)
    except OSError:
        pass


def start_probe() -> None:
    """Start probing in the background (``Zygote`` calls this: it overlaps the zygote's NumPy import)."""
    global _running
    with _lock:
        if _details is None and _running is None and _read_probe_cache() is None:
            try:
                _running = _spawn_probe()
            except OSError:
                _running = None


def _probe(use_cache: bool = True) -> dict[str, dict]:
    """Run (or finish) the probe, or read its recent findings.  Called with ``_lock`` held."""
    global _running
    proc, _running = _running, None
    cached = _read_probe_cache() if proc is None and use_cache else None
    try:
        if cached is not None:
            raise _Cached
        proc = proc or _spawn_probe()
        try:
            stdout, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        found = json.loads(stdout or b"{}")
        why_failed = (stderr.decode(errors="replace").strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        if proc.returncode == 0 and isinstance(found, dict):
            _write_probe_cache(found)
    except _Cached:
        found, why_failed = cached, ""
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        found, why_failed = {}, f"the probe could not run: {exc}"
    out = {}
    for name, (what, required) in LAYERS.items():
        got = found.get(name) or {}
        active = bool(got.get("active"))
        why = str(got.get("why") or ("active" if active else f"probe failed: {why_failed}"))
        out[name] = {"active": active, "why": why, "required": required, "what": what}
    return out


CGROUP_LAYERS = ("cgroup_memory", "cgroup_pids")
CGROUPS_OFF = ("available; used for jobs that may fork, or for every job with DLGRADE_SANDBOX_CGROUPS=1 "
               "(rlimits, the dedicated uid and seccomp already bound a job that cannot fork)")


def protection_details(settings: dict, refresh: bool = False) -> dict[str, dict]:
    """Each layer: ``{"active", "available", "why", "required", "what"}``.

    ``settings``: the sandbox settings (``GraderSettings.sandbox_options()``).  ``available``: the
    probe (once per process, ≈ 50 ms) applied it on this machine; ``active``: it is also used for
    every job with these settings."""
    global _details
    with _lock:
        if _details is None or refresh:
            _details = _probe(use_cache=not refresh)
            missing = [n for n, d in _details.items() if not d["active"]]
            if missing:
                log.warning("isolation layers not active: %s", ", ".join(missing))
        out = {k: dict(v, available=v["active"]) for k, v in _details.items()}
    off = set(settings.get("disable") or ())
    if not settings.get("cgroups"):
        off |= set(CGROUP_LAYERS)
    for name in off:
        if name in out and out[name]["active"]:
            out[name].update(active=False, why=CGROUPS_OFF if name in CGROUP_LAYERS else
                             "available, but switched off by the settings")
    return out


def _probe_cached() -> dict[str, dict]:
    """What the machine offers, before the settings (``job_sandbox`` applies the job's own choice)."""
    global _details
    with _lock:
        if _details is None:
            _details = _probe()
        return _details


def protection_report(settings: dict) -> dict[str, bool]:
    """``layer -> active`` for every layer (used by the CLI warning and the service's health output)."""
    return {name: d["active"] for name, d in protection_details(settings).items()}


def sandbox_enabled(settings: dict) -> bool:
    """False when the administrator turned isolation off (``DLGRADE_SANDBOX=0``)."""
    return bool(settings.get("enabled", True))


def missing_required(settings: dict) -> list[str]:
    return [name for name, d in protection_details(settings).items() if d["required"] and not d["active"]]


def full_isolation(settings: dict) -> bool:
    """Every required layer works on this machine and the sandbox is enabled.

    The HTTP service refuses untrusted students when this is False, unless the instructor opted
    out with ``DLGRADE_ALLOW_UNSANDBOXED=1``."""
    return sandbox_enabled(settings) and not missing_required(settings)


def require_full_isolation(settings: dict) -> None:
    """Raise :class:`SandboxUnavailable` naming what is missing, unless isolation is complete."""
    if not sandbox_enabled(settings):
        raise SandboxUnavailable("the sandbox is disabled (DLGRADE_SANDBOX=0)")
    missing = missing_required(settings)
    if missing:
        raise SandboxUnavailable("isolation layers not active on this machine: " + ", ".join(missing))


def job_sandbox(sandbox: dict | None) -> dict:
    """Complete one job's sandbox settings (sent to the student process; never secrets).

    ``{"enabled": False}`` runs without isolation (benchmarks, ``DLGRADE_SANDBOX=0``).
    Otherwise every layer the probe found is requested and required, minus ``disable``, and minus
    the per-job cgroups unless ``cgroups`` is true or the job may fork (``allow_fork``: then the
    per-process rlimits no longer bound the whole job).  Keys the caller set (``layers``,
    ``require``, ``allow_fork``, ``tmp_bytes``, ``wall_seconds``, ``cgroup_memory_bytes``,
    ``extra_ro``, ``hide``, ``uid_base``) are kept.
    """
    sb = dict(sandbox or {})
    if not sb.get("enabled", True):
        return {"enabled": False}
    sb["enabled"] = True
    if "layers" not in sb:
        disabled = set(sb.get("disable") or ())
        if not (sb.get("cgroups") or sb.get("allow_fork")):
            disabled |= set(CGROUP_LAYERS)
        available = _probe_cached()
        sb["layers"] = [n for n, d in available.items() if d["active"] and n not in disabled]
    sb.setdefault("require", list(sb["layers"]))
    return sb


def doctor(settings: dict) -> dict:
    """What ``dlgrade doctor --json`` prints, for these sandbox settings."""
    details = protection_details(settings, refresh=True)
    enabled = sandbox_enabled(settings)
    missing = [n for n, d in details.items() if d["required"] and not d["active"]]
    return {
        "cgroups_for_every_job": bool(settings.get("cgroups")),
        "sandbox_enabled": enabled,
        "full_isolation": enabled and not missing,
        "missing_required": missing,
        "euid": os.geteuid(),
        "layers": details,
    }
