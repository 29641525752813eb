"""What the sandbox reports about itself, for the service's health output and admission."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Isolation:
    full: bool
    layers: dict[str, bool] = field(default_factory=dict)


def probe() -> Isolation:
    """Whether every isolation layer is active, and each layer's state (probed once, at start-up)."""
    from grader.options import grader_settings
    from grader.sandbox.probe import full_isolation, protection_report

    settings = grader_settings().sandbox_options()
    return Isolation(bool(full_isolation(settings)), {str(k): bool(v) for k, v in protection_report(settings).items()})
