"""Grading settings and their defaults: the one home of every default of the engine.

``GraderSettings`` reads ``DLGRADE_*`` from the environment, validated in one place;
``GradeOptions`` is what one grading is given (built from the settings, or their defaults);
nothing else restates a default (the runner, the student process and the batch tools read them
from here or from the ``JobConfig`` they are handed).

A dataclass rather than pydantic-settings: ``dlgrade check`` must start fast, and importing
pydantic costs ~50 ms of the ~100 ms budget.  The service's own settings (``api/settings.py``)
use pydantic-settings.
"""

from __future__ import annotations

import dataclasses
import os
from functools import lru_cache

from grader.runner.pool import JobConfig

TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}

MAX_FILE_BYTES = 5 << 20  # a submission file larger than this is not graded (check, batch, gradescope)


class SettingsError(ValueError):
    """A DLGRADE_* variable that does not parse."""


def _parse(name: str, raw: str, kind: str):
    value = raw.strip()
    try:
        if kind == "bool":
            if value.lower() in TRUE | FALSE:
                return value.lower() in TRUE
            raise ValueError(value)
        if kind.startswith("int"):
            return None if (value == "" and "None" in kind) else int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        raise SettingsError(f"DLGRADE_{name.upper()}={raw!r} is not a valid {kind.split()[0]}") from None
    return value


@dataclasses.dataclass(frozen=True)
class GraderSettings:
    """Limits and budgets for student code.  Read once; never passed to student processes whole."""

    statement_budget: float = 1.0
    submission_timeout: float = 60.0
    item_timeout_scale: float = 1.0
    memory_mb: int = 1024
    cpu_seconds: int = 60
    file_mb: int = 16
    open_files: int = 64
    max_processes: int = 64
    output_cap: int = 20_000
    seed: int | None = None
    sandbox: bool = True  # use every isolation layer the platform offers
    sandbox_cgroups: bool = False  # per-job memory/pids cgroups for every job, not only for jobs that may fork
    #                                (≈ +8 ms on an isolated job: an RCU grace period per cgroup v1 move; SECURITY.md)
    sandbox_tmp_mb: int = 64  # size of each job's private /tmp (tmpfs)

    @classmethod
    def from_env(cls, environ=None) -> "GraderSettings":
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f"DLGRADE_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _parse(f.name, raw, str(f.type))
        return cls(**values)

    def limits(self) -> dict:
        """The rlimits of a student process."""
        return {"memory_bytes": self.memory_mb << 20, "cpu_seconds": self.cpu_seconds,
                "file_bytes": self.file_mb << 20, "open_files": self.open_files, "processes": self.max_processes}

    def grade_options(self) -> "GradeOptions":
        return GradeOptions(
            statement_budget=self.statement_budget,
            submission_timeout=self.submission_timeout,
            item_timeout_scale=self.item_timeout_scale,
            limits=self.limits(),
            output_cap=self.output_cap,
            seed=self.seed,
            sandbox=self.sandbox_options(),
        )

    def sandbox_options(self) -> dict:
        if not self.sandbox:
            return {"enabled": False}
        return {"enabled": True, "tmp_bytes": self.sandbox_tmp_mb << 20,
                "wall_seconds": int(self.submission_timeout) + 30,  # backstop if the grader goes away
                "cgroups": self.sandbox_cgroups}


_DEFAULTS = GraderSettings()


@dataclasses.dataclass
class GradeOptions:
    """How one submission is graded (limits, budgets).  Only ``job_config()`` reaches the student process.

    ``GradeOptions()`` is the settings' defaults (not the environment: that is ``grade_options()``).
    ``student`` selects the per-student numbers of an exercise with variants, which ``variants``
    (a ``grader.variants.VariantBook``: the course secret and the roster, grader-side only) derives;
    without them such an exercise is graded with the text's numbers."""

    statement_budget: float = _DEFAULTS.statement_budget  # seconds per top-level statement while loading
    item_timeout_scale: float = _DEFAULTS.item_timeout_scale
    submission_timeout: float = _DEFAULTS.submission_timeout  # wall time for the whole submission
    limits: dict = dataclasses.field(default_factory=_DEFAULTS.limits)
    output_cap: int = _DEFAULTS.output_cap
    seed: int | None = _DEFAULTS.seed
    sandbox: dict = dataclasses.field(default_factory=_DEFAULTS.sandbox_options)
    student: str | None = None
    variants: object | None = dataclasses.field(default=None, repr=False)
    # stop after the first item that loses points (bench/mutation_score.py: "killed" is all it needs to know)
    stop_at_first_loss: bool = False

    def job_config(self) -> JobConfig:
        return JobConfig(limits=dict(self.limits), budget=self.statement_budget,
                         output_cap=self.output_cap, sandbox=dict(self.sandbox))


@lru_cache(maxsize=1)
def grader_settings() -> GraderSettings:
    return GraderSettings.from_env()


def grade_options() -> GradeOptions:
    return grader_settings().grade_options()


def protection_warning() -> str | None:
    """A one-line warning when the sandbox runs with fewer layers than it should."""
    from grader.sandbox.probe import missing_required

    if not grader_settings().sandbox:
        return "the sandbox is disabled (DLGRADE_SANDBOX=0): student code runs without isolation"
    missing = missing_required(grader_settings().sandbox_options())
    if missing:
        return "isolation layers not active on this machine: " + ", ".join(missing) + " (see `dlgrade doctor`)"
    return None
