"""`dlgrade check`, shared by the Typer command and the fast entry path (``grader.cli.entry``).

Imports only what grading needs: the report is printed with Rich only in table mode.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grader.options import MAX_FILE_BYTES


def _error(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2


def run_check(exercise: str, file: Path, as_json: bool = False, lang: str = "en", student: str | None = None,
              variants=None) -> int:
    """Grade ``file`` against ``exercise`` and print the report; return the exit status.

    ``student`` and ``variants`` (a ``grader.variants.VariantBook``): grade with that student's numbers,
    and say whose numbers a wrong answer fits (the caller holds the course secret)."""
    from grader.runner.pool import default_starter

    default_starter().warm()  # the student processes' interpreter (zygote) starts while we load the catalogue
    from exercises import UnknownExercise, get
    from grader.engine import grade_source
    from grader.options import SettingsError, grade_options, protection_warning

    try:
        ex = get(exercise)
    except UnknownExercise as exc:
        return _error(str(exc))
    if ex.requires:  # e.g. PyTorch: its own zygote, started now so that its import overlaps our work
        from grader.extras import missing
        from grader.runner.pool import with_preload

        if not missing(ex.requires):
            with_preload(default_starter(), ex.requires).warm()
    try:
        if not file.is_file():
            return _error(f"{file}: no such file")
        if file.stat().st_size > MAX_FILE_BYTES:
            return _error(f"{file}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        data = file.read_bytes()
    except OSError as exc:
        return _error(f"{file}: {exc.strerror or exc}")
    try:
        options = grade_options()
    except SettingsError as exc:
        return _error(str(exc))
    warning = protection_warning()
    if warning:
        sys.stderr.write(f"warning: {warning}\n")
    if student is not None and variants is not None and ex.variants is not None:
        import dataclasses

        options = dataclasses.replace(options, student=student, variants=variants)
    report = grade_source(ex, data, file.name, options)
    instructor = options.variants is not None  # whoever holds the course secret may see whose numbers
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(lang, instructor), ensure_ascii=False, indent=2) + "\n")
    else:
        from rich.console import Console

        from grader.cli.render import print_report

        print_report(Console(highlight=False, soft_wrap=True), report, lang, instructor)
    return 0
