"""The student process's environment and where NumPy lives (scrubbing is a sandbox layer).

Imported by the runner (which starts student processes) and by the probe; imports nothing of the
grader.
"""

from __future__ import annotations

import importlib.util
import os

# found without importing NumPy, so the zygote can start before the grader's own `import numpy`
NUMPY_SITE = os.path.dirname(os.path.dirname(os.path.realpath(importlib.util.find_spec("numpy").origin)))


def package_site(module: str) -> str | None:
    """The directory that holds an importable top-level package (found without importing it), or None."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
        return None
    return os.path.dirname(os.path.dirname(os.path.realpath(spec.origin)))


# Variables a student process may see; everything else (tokens, database URLs...) is scrubbed.
PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL", "TZ")


def student_env() -> dict[str, str]:
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env.update({
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
    })
    return env
