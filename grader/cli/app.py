"""``dlgrade`` command line.  Commands parse arguments and call library functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console


app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="dlgrade — automated grading for 深層学習 Part 2 (NumPy deep-learning exercises).")

# Reports go to stdout; everything else (progress, warnings, student output) to stderr.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def usage_error(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def lang_option(value: Optional[str]) -> str:
    if value is None:
        return "en"
    if value not in ("en", "ja"):
        raise typer.BadParameter("use 'en' or 'ja'")
    return value


@app.command("exercises")
def exercises_cmd(as_json: bool = typer.Option(False, "--json", help="Machine-readable catalogue."),
                  as_markdown: bool = typer.Option(False, "--markdown",
                                                   help="The students' exercise guide (docs/exercises.md), "
                                                        "Japanese and English."),
                  lang: Optional[str] = typer.Option(None, "--lang", help="ja or en (default en).",
                                                     callback=lang_option)) -> None:
    """List the catalogue: ids, titles, items, points (--markdown: the exercise guide)."""
    from exercises import catalogue
    from grader.cli.render import catalogue_dict, print_catalogue

    if as_markdown:
        from exercises.guide import markdown

        sys.stdout.write(markdown(catalogue()))
    elif as_json:
        out.print_json(json.dumps(catalogue_dict(catalogue(), lang)))
    else:
        print_catalogue(out, catalogue(), lang)


@app.command("check")
def check_cmd(exercise: str = typer.Argument(..., help="Exercise id, e.g. layers."),
              file: Path = typer.Argument(..., help="A .py file or .ipynb notebook."),
              as_json: bool = typer.Option(False, "--json", help="Print the JSON report on stdout."),
              lang: Optional[str] = typer.Option(None, "--lang", help="ja or en (default en).",
                                                 callback=lang_option),
              student: Optional[str] = typer.Option(None, "--student", metavar="ID", help=(
                  "Grade against this student's numbers (exercises with per-student variants; the secret "
                  "comes from the service's database, DLGRADE_DATABASE_URL)."))) -> None:
    """Grade one submission and print its report."""
    from grader.cli.check import run_check

    book = None
    if student is not None:
        student = student.strip()
        if not student:
            usage_error("--student: an empty ID")
        import exercises

        try:
            has_variants = exercises.get(exercise).variants is not None
        except exercises.UnknownExercise:
            has_variants = False  # run_check says so
        if has_variants:
            from api.cli import load_variant_book

            book = load_variant_book([student])
    code = run_check(exercise, file, as_json, lang, student=student, variants=book)
    if code:
        raise typer.Exit(code)


@app.command("doctor")
def doctor_cmd(as_json: bool = typer.Option(False, "--json", help="Machine-readable report.")) -> None:
    """Which isolation layers protect student code on this machine (active / missing, and why)."""
    from grader.options import grader_settings
    from grader.sandbox.probe import doctor

    from exercises import catalogue
    from grader.extras import report as extras_report

    info = doctor(grader_settings().sandbox_options())
    info["optional_packages"] = extras_report(catalogue().values())
    if as_json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
        return
    for name, layer in info["layers"].items():
        state = ("[green]active[/green] " if layer["active"] else
                 "[blue]off[/blue]    " if layer.get("available") else "[red]missing[/red]")
        need = "required" if layer["required"] else "optional"
        why = "" if layer["active"] else f" — {layer['why']}"
        out.print(f"{state}  {name:<21} ({need}) {layer['what']}{why}")
    for package, extra in info["optional_packages"].items():
        needs = ", ".join(extra["exercises"]) or "no exercise"
        if extra["installed"]:
            out.print(f"[green]installed[/green]  {extra['name']} {extra['version']} (optional: {needs})")
        else:
            out.print(f"[yellow]absent[/yellow]     {extra['name']} (optional: {needs} unavailable) — "
                      f"install with `{extra['install']}`")
    if not info["sandbox_enabled"]:
        out.print("[red]the sandbox is disabled (DLGRADE_SANDBOX=0): student code runs without isolation[/red]")
    elif info["full_isolation"]:
        out.print("[green]full isolation[/green]: untrusted submissions may be graded here.")
    else:
        out.print("[yellow]degraded isolation[/yellow] (missing: " + ", ".join(info["missing_required"]) + "): "
                  "grade only code you trust; the HTTP service refuses students unless DLGRADE_ALLOW_UNSANDBOXED=1.")


# batch, gradescope, export, regrade (grader/cli/classroom.py)
from grader.cli.classroom import register as _register_batch_commands  # noqa: E402

_register_batch_commands(app)

# serve, token create, roster import (api/cli.py)
from api.cli import register as _register_api_commands  # noqa: E402

_register_api_commands(app)


@app.command("worker")
def worker_cmd(concurrency: Optional[int] = typer.Option(None, "--concurrency", "-c", min=1, max=64,
                                                         help="Gradings at a time (default DLGRADE_WORKERS)."),
               log_level: str = typer.Option("info", "--log-level", help="Celery log level.")) -> None:
    """Grade jobs from the broker (distributed mode: DLGRADE_BROKER_URL, DLGRADE_DATABASE_URL)."""
    from api.dispatch.worker import WorkerRefused, run_worker

    try:
        run_worker(concurrency, log_level)
    except WorkerRefused as exc:
        usage_error(str(exc))


if __name__ == "__main__":  # pragma: no cover
    app()
