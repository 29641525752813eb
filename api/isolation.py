"""What the sandbox reports about itself (``grader.sandbox.probe`` may not be installed yet)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Isolation:
    full: bool
    layers: dict[str, bool] = field(default_factory=dict)


def probe() -> Isolation:
    """Whether every isolation layer is active, and each layer's state (probed once, at start-up)."""
    try:
        from grader.sandbox.probe import full_isolation, protection_report
    except ImportError:
        return Isolation(False, {"sandbox_module": False})
    return Isolation(bool(full_isolation()), {str(k): bool(v) for k, v in protection_report().items()})
