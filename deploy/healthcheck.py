"""Container HEALTHCHECK: exit 0 when this container's dlgrade process is healthy.

The container runs either ``dlgrade serve`` (checked through ``GET /healthz``) or ``dlgrade worker``
(checked through the heartbeat file the worker refreshes while it can reach the broker).
Standard library only; configuration from the environment, as everywhere in the image.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def running_commands() -> list[list[str]]:
    commands = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                commands.append((entry / "cmdline").read_bytes().decode(errors="replace").split("\0"))
            except OSError:
                continue
    return commands


def is_worker() -> bool:
    return any("worker" in argv and any(a.endswith("dlgrade") for a in argv) for argv in running_commands())


def check_worker() -> str | None:
    path = Path(os.environ.get("DLGRADE_WORKER_HEARTBEAT_FILE", "/tmp/dlgrade-worker.alive"))
    max_age = float(os.environ.get("DLGRADE_WORKER_HEARTBEAT_MAX_AGE", "60"))
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return f"no worker heartbeat at {path}"
    return None if age <= max_age else f"worker heartbeat is {age:.0f} s old"


def check_service() -> str | None:
    port = os.environ.get("DLGRADE_PORT", "8000")
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a fixed local URL
            return None if response.status == 200 else f"{url}: HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"{url}: HTTP {exc.code} {exc.read(500).decode(errors='replace')}"
    except OSError as exc:
        return f"{url}: {exc}"


def main() -> int:
    problem = check_worker() if is_worker() else check_service()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
