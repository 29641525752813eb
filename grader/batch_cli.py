"""``dlgrade batch``, ``dlgrade gradescope``, ``dlgrade export`` and ``dlgrade regrade``.

Registered on the main app by :func:`register` (``grader/cli.py``).  Commands parse
arguments, report usage errors with exit status 2 and call library functions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False)


def usage_error(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(2)


def _lang(value: Optional[str]) -> str:
    if value is None:
        return "en"
    if value not in ("en", "ja"):
        raise typer.BadParameter("use 'en' or 'ja'")
    return value


def _exercise(exercise_id: str):
    from exercises import UnknownExercise, get

    try:
        return get(exercise_id)
    except UnknownExercise as exc:
        usage_error(str(exc))


def _writable(path: Optional[Path], what: str, folder: bool = False) -> None:
    """Fail before a long batch, not after it, when an output cannot be written."""
    if path is None or str(path) == "-":
        return
    target = path if folder else path.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        usage_error(f"{what} {path}: {exc.strerror or exc}")
    if path.is_dir() and not folder:
        usage_error(f"{what} {path}: is a directory")
    if not folder and path.exists() and not path.is_file():
        usage_error(f"{what} {path}: not a regular file")
    import os

    if not os.access(target, os.W_OK):
        usage_error(f"{what} {path}: not writable")


def _load_lateness(deadlines: Optional[Path]):
    if deadlines is None:
        return None
    from grader.lateness import ConfigError, load_config

    try:
        return load_config(deadlines)
    except ConfigError as exc:
        usage_error(f"deadlines: {exc}")


def _progress(enabled: bool, label: str):
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskProgressColumn,
                               TextColumn, TimeElapsedColumn, TimeRemainingColumn)

    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TaskProgressColumn(), TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"),
                    TimeRemainingColumn(), TextColumn("[dim]{task.fields[last]}"),
                    console=err, disable=not enabled, transient=False)


def register(app: typer.Typer) -> None:
    """Add the class-level commands to ``app``."""

    @app.command("batch")
    def batch_cmd(
        exercise: str = typer.Argument(..., help="Exercise id, e.g. layers."),
        directory: Path = typer.Argument(..., help="Folder of submissions: <student>.py, <student>.ipynb "
                                                   "or <student>/ (a folder per student)."),
        out: Path = typer.Option(..., "--out", "-o", help="The gradebook CSV to write ('-' for stdout)."),
        jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                           help="Grading processes (default: the number of cores)."),
        report: Optional[Path] = typer.Option(None, "--report", help="Write the HTML class report here."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write JSON lines (one full report per "
                                                                    "student) here ('-' for stdout)."),
        feedback: Optional[Path] = typer.Option(None, "--feedback", help="Write one feedback file per "
                                                                        "student into this folder."),
        feedback_format: str = typer.Option("html", "--feedback-format", help="html or md."),
        deadlines: Optional[Path] = typer.Option(None, "--deadlines", help="TOML file with deadlines and the "
                                                                          "late penalty (see README)."),
        times: Optional[Path] = typer.Option(None, "--times", help="CSV student,submitted_at overriding the "
                                                                  "files' modification times."),
        lang: Optional[str] = typer.Option(None, "--lang", help="ja or en (default en): feedback, report, JSON.",
                                           callback=_lang),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar (stderr)."),
        executor: str = typer.Option("process", "--executor", hidden=True, help="process or thread."),
    ) -> None:
        """Grade every submission in DIRECTORY into a gradebook CSV (and optional reports)."""
        from grader.batch import BatchError, default_jobs, discover, print_summary, run_batch, write_csv, \
            write_feedback, write_jsonl

        ex = _exercise(exercise)
        if feedback_format not in ("html", "md"):
            usage_error("--feedback-format: use html or md")
        if executor not in ("process", "thread"):
            usage_error("--executor: use process or thread")
        if str(out) == "-" and json_out is not None and str(json_out) == "-":
            usage_error("--out and --json cannot both be '-' (stdout)")
        lateness = _load_lateness(deadlines)
        time_map = None
        if times is not None:
            from grader.lateness import DEFAULT_TIMEZONE, ConfigError, load_times

            try:
                time_map = load_times(times, lateness.tz if lateness else DEFAULT_TIMEZONE)
            except ConfigError as exc:
                usage_error(f"--times: {exc}")
        try:
            disc = discover(directory, ex.notebooks)
        except BatchError as exc:
            usage_error(str(exc))
        _writable(out, "--out")
        _writable(json_out, "--json")
        _writable(report, "--report")
        _writable(feedback, "--feedback", folder=True)
        from grader.settings import grade_options, protection_warning

        warning = protection_warning()
        if warning:
            err.print(f"[yellow]warning:[/yellow] {warning}")
        if not disc.submissions:
            err.print(f"[yellow]warning:[/yellow] no submissions in {directory}")
        n_jobs = jobs or default_jobs()
        with _progress(progress and bool(disc.submissions), f"grading {ex.id}") as bar:
            task = bar.add_task(f"grading {ex.id}", total=len(disc.submissions), last="")
            bad = [0]

            def on_result(r):
                if r.status != "graded":
                    bad[0] += 1
                bar.update(task, advance=1, last=f"{r.student}" + (f" · {bad[0]} not graded" if bad[0] else ""))

            result = run_batch(ex.id, directory, n_jobs, grade_options(), on_result=on_result, discovery=disc,
                               times=time_map, lateness=lateness, executor=executor)
        lang_ = lang or "en"
        write_csv(result, sys.stdout if str(out) == "-" else out)
        if json_out is not None:
            write_jsonl(result, sys.stdout if str(json_out) == "-" else json_out, lang_)
        if feedback is not None:
            write_feedback(result, feedback, feedback_format, lang_, ex)
        if report is not None:
            from grader.classreport import write_class_report

            write_class_report(result, report, lang_, ex)
        print_summary(err, result, lang_)
        written = [str(p) for p in (out, json_out, report, feedback) if p is not None and str(p) != "-"]
        if written:
            err.print(("wrote " if lang_ == "en" else "出力: ") + ", ".join(written))

    @app.command("gradescope")
    def gradescope_cmd(
        exercise: str = typer.Argument(..., help="Exercise id, e.g. layers."),
        submission: Path = typer.Option(Path("/autograder/submission"), "--submission",
                                        help="The student's upload (a folder)."),
        results: Path = typer.Option(Path("/autograder/results/results.json"), "--results",
                                     help="Where Gradescope reads the results."),
        lang: Optional[str] = typer.Option(None, "--lang", help="ja or en (default en).", callback=_lang),
        visibility: str = typer.Option("visible", "--visibility",
                                       help="Tests' visibility: visible, hidden, after_due_date, after_published."),
    ) -> None:
        """Gradescope autograder: grade /autograder/submission, write /autograder/results/results.json."""
        from grader.gradescope import GradescopeError, run_gradescope
        from grader.settings import grade_options

        ex = _exercise(exercise)
        try:
            data = run_gradescope(ex, submission, results, lang or "en", grade_options(), visibility=visibility)
        except GradescopeError as exc:
            usage_error(str(exc))
        except OSError as exc:
            usage_error(f"{results}: {exc.strerror or exc}")
        total = sum(t["max_score"] for t in data["tests"])
        err.print(f"{ex.id}: {data['score']:g} / {total:g} → {results}")
