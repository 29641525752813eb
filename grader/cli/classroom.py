"""``dlgrade batch``, ``dlgrade gradescope``, ``dlgrade export`` and ``dlgrade regrade``.

Registered on the main app by :func:`register` (``grader/cli/app.py``).  Commands parse
arguments, report usage errors with exit status 2 and call library functions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False)
DEFAULT_SIM_THRESHOLD = 0.85  # grader.classroom.similarity.DEFAULT_THRESHOLD (not imported: numpy at start-up)


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
    from grader.classroom.lateness import ConfigError, load_config

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


def write_outputs(result, ex, lang_: str, out, json_out, feedback, feedback_format, report, similarity=None) -> None:
    """The files of `batch` and `export`: gradebook CSV, JSON lines, feedback, class report; then the summary."""
    from grader.classroom.batch import print_summary, write_csv, write_feedback, write_jsonl

    write_csv(result, sys.stdout if str(out) == "-" else out)
    if json_out is not None:
        write_jsonl(result, sys.stdout if str(json_out) == "-" else json_out, lang_)
    if feedback is not None:
        write_feedback(result, feedback, feedback_format, lang_, ex)
    if report is not None:
        from grader.classroom.classreport import write_class_report

        write_class_report(result, report, lang_, ex, similarity=similarity)
    print_summary(err, result, lang_)


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
        executor: str = typer.Option("auto", "--executor",
                                     help="auto (threads up to 4 jobs, else processes), thread or process."),
        boilerplate: Optional[List[Path]] = typer.Option(None, "--boilerplate", help="Code everyone may have "
                                                         "(file or folder), left out of the report's similar "
                                                         "pairs (as for `dlgrade similarity`). Repeatable."),
        practice: bool = typer.Option(False, "--practice", help=(
            "Exercises with per-student variants: grade everyone with the text's numbers (default: each "
            "student's own numbers, from the course secret in DLGRADE_DATABASE_URL's database).")),
    ) -> None:
        """Grade every submission in DIRECTORY into a gradebook CSV (and optional reports)."""
        from grader.classroom.batch import BatchError, default_jobs, discover, run_batch

        ex = _exercise(exercise)
        if feedback_format not in ("html", "md"):
            usage_error("--feedback-format: use html or md")
        if executor not in ("auto", "process", "thread"):
            usage_error("--executor: use auto, thread or process")
        if str(out) == "-" and json_out is not None and str(json_out) == "-":
            usage_error("--out and --json cannot both be '-' (stdout)")
        lateness = _load_lateness(deadlines)
        time_map = None
        if times is not None:
            from grader.classroom.lateness import DEFAULT_TIMEZONE, ConfigError, load_times

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
        for b in boilerplate or []:
            if not b.exists():
                usage_error(f"--boilerplate {b}: no such file or directory")
        from grader.options import grade_options, protection_warning

        warning = protection_warning()
        if warning:
            err.print(f"[yellow]warning:[/yellow] {warning}")
        if not disc.submissions:
            err.print(f"[yellow]warning:[/yellow] no submissions in {directory}")
        n_jobs = jobs or default_jobs()
        options = grade_options()
        if ex.variants is not None and not practice:  # the file or folder name is the student id
            import dataclasses

            from api.cli import load_variant_book

            options = dataclasses.replace(options, variants=load_variant_book([s.student for s in disc.submissions]))
        with _progress(progress and bool(disc.submissions), f"grading {ex.id}") as bar:
            task = bar.add_task(f"grading {ex.id}", total=len(disc.submissions), last="")
            bad = [0]

            def on_result(r):
                if r.status != "graded":
                    bad[0] += 1
                bar.update(task, advance=1, last=f"{r.student}" + (f" · {bad[0]} not graded" if bad[0] else ""))

            result = run_batch(ex.id, directory, n_jobs, options, on_result=on_result, discovery=disc,
                               times=time_map, lateness=lateness, executor=executor)
        lang_ = lang or "en"
        similar = None
        if report is not None and disc.submissions:  # the class report's section of similar pairs
            from grader.classroom.similarity import similarity_for_class

            reports = {r.student: r.report for r in result.results if r.report is not None}
            try:
                similar = similarity_for_class(ex, directory, disc.submissions, boilerplate or [], reports,
                                               jobs=n_jobs)
            except OSError as exc:
                err.print(f"[yellow]warning:[/yellow] similar pairs left out of the report: {exc}")
        write_outputs(result, ex, lang_, out, json_out, feedback, feedback_format, report, similar)
        written = [str(p) for p in (out, json_out, report, feedback) if p is not None and str(p) != "-"]
        if written:
            err.print(("wrote " if lang_ == "en" else "出力: ") + ", ".join(written))

    @app.command("similarity")
    def similarity_cmd(
        exercise: str = typer.Argument(..., help="Exercise id, e.g. layers."),
        directory: Path = typer.Argument(..., help="Folder of submissions, as for `dlgrade batch`."),
        out: Path = typer.Option(..., "--out", "-o", help="pairs.csv to write ('-' for stdout): the pairs at or "
                                                         "above the threshold and those with a same wrong answer."),
        boilerplate: Optional[List[Path]] = typer.Option(None, "--boilerplate", help="A file or folder of code "
                                                         "everyone may have (the book's common/, the starter "
                                                         "notebook); subtracted before comparing. Repeatable."),
        report: Optional[Path] = typer.Option(None, "--report", help="Write the HTML page here."),
        threshold: float = typer.Option(DEFAULT_SIM_THRESHOLD, "--threshold", min=0.0, max=1.0,
                                        help="Similarity from which a pair is listed (0-1)."),
        top: int = typer.Option(20, "--top", min=1, help="Pairs shown on the HTML page."),
        jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Processes (default: the cores)."),
        grade: bool = typer.Option(True, "--grade/--no-grade", help="Grade the class (same inputs for everyone) "
                                                                    "to compare wrong answers."),
        lang: Optional[str] = typer.Option(None, "--lang", help="ja or en (default en): the HTML page.",
                                           callback=_lang),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar (stderr)."),
    ) -> None:
        """Pairs of submissions that are unusually similar: shared code and the same wrong answers."""
        import dataclasses

        from grader.classroom.batch import BatchError, default_jobs, discover, run_batch
        from grader.classroom.similarity import class_seed, similarity_for_class, write_pairs_csv

        ex = _exercise(exercise)
        try:
            disc = discover(directory, ex.notebooks)
        except BatchError as exc:
            usage_error(str(exc))
        for b in boilerplate or []:
            if not b.exists():
                usage_error(f"--boilerplate {b}: no such file or directory")
        _writable(out, "--out")
        _writable(report, "--report")
        n_jobs = jobs or default_jobs()
        reports = None
        if grade and disc.submissions:
            from grader.options import grade_options

            options = dataclasses.replace(grade_options(), seed=class_seed(ex.id))
            if getattr(ex, "variants", None) is not None:  # per-student numbers: the file name is the student id
                from api.cli import load_variant_book

                options = dataclasses.replace(options, variants=load_variant_book(
                    [s.student for s in disc.submissions]))
            with _progress(progress, f"grading {ex.id}") as bar:
                task = bar.add_task(f"grading {ex.id}", total=len(disc.submissions), last="")
                result = run_batch(ex.id, directory, n_jobs, options, discovery=disc,
                                   on_result=lambda r: bar.update(task, advance=1, last=r.student))
            reports = {r.student: r.report for r in result.results if r.report is not None}
        try:
            sim = similarity_for_class(ex, directory, disc.submissions, boilerplate or [], reports, threshold, n_jobs)
        except OSError as exc:
            usage_error(f"--boilerplate: {exc.strerror or exc}")
        write_pairs_csv(sim, sys.stdout if str(out) == "-" else out)
        if report is not None:
            from grader.classroom.simreport import write_page

            write_page(sim, report, lang or "en", top)
        flagged = sim.flagged()
        err.print(f"{ex.id}: {len(sim.docs)} submissions, {sim.pair_count} pairs compared; "
                  f"{len(flagged)} at or above {threshold:g}"
                  + (f", {sum(1 for p in sim.pairs if p.evidence_count)} with a same wrong answer" if sim.graded else "")
                  + f" ({sum(sim.seconds.values()):.1f} s)")
        for p in sim.pairs[:5]:
            err.print(f"  {sim.docs[p.a].student} — {sim.docs[p.b].student}: similarity {p.similarity:.2f}, "
                      f"{p.matched_lines} matched lines" + (f", {p.evidence_count} same wrong answers"
                                                            if sim.graded else ""))
        written = [str(p) for p in (out, report) if p is not None and str(p) != "-"]
        if written:
            err.print("wrote " + ", ".join(written))

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
        from grader.classroom.gradescope import GradescopeError, run_gradescope
        from grader.options import grade_options

        ex = _exercise(exercise)
        try:
            data = run_gradescope(ex, submission, results, lang or "en", grade_options(), visibility=visibility)
        except GradescopeError as exc:
            usage_error(str(exc))
        except OSError as exc:
            usage_error(f"{results}: {exc.strerror or exc}")
        total = sum(t["max_score"] for t in data["tests"])
        err.print(f"{ex.id}: {data['score']:g} / {total:g} → {results}")

    def _open_db(database: Optional[str]):
        from api.regrade import open_db

        try:
            return open_db(database)
        except Exception as exc:  # noqa: BLE001 - a wrong URL, an unreachable server, a failed migration
            usage_error(f"cannot open the database: {exc}")

    def _policy(value: Optional[str]) -> Optional[str]:
        if value is not None and value not in ("best", "latest"):
            raise typer.BadParameter("use 'best' or 'latest'")
        return value

    @app.command("export")
    def export_cmd(
        exercise: str = typer.Argument(..., help="Exercise id, e.g. layers."),
        out: Path = typer.Option(..., "--out", "-o", help="The gradebook CSV to write ('-' for stdout)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="JSON lines: one full report per student."),
        report: Optional[Path] = typer.Option(None, "--report", help="The HTML class report."),
        feedback: Optional[Path] = typer.Option(None, "--feedback", help="One feedback file per student here."),
        feedback_format: str = typer.Option("html", "--feedback-format", help="html or md."),
        deadlines: Optional[Path] = typer.Option(None, "--deadlines", help="TOML deadlines and late penalty; "
                                                                          "submission times are the service's."),
        policy: Optional[str] = typer.Option(None, "--policy", callback=_policy,
                                             help="Which submission counts: best or latest "
                                                  "(default: the service's DLGRADE_GRADEBOOK_POLICY)."),
        database: Optional[str] = typer.Option(None, "--database", help="Database URL (default: "
                                                                        "DLGRADE_DATABASE_URL)."),
        lang: Optional[str] = typer.Option(None, "--lang", help="ja or en (default en).", callback=_lang),
    ) -> None:
        """The service's stored results of EXERCISE: the same files as `dlgrade batch`, one row per student."""

        ex = _exercise(exercise)
        if feedback_format not in ("html", "md"):
            usage_error("--feedback-format: use html or md")
        lateness = _load_lateness(deadlines)
        for path, what in ((out, "--out"), (json_out, "--json"), (report, "--report")):
            _writable(path, what)
        _writable(feedback, "--feedback", folder=True)
        engine, sessions = _open_db(database)
        try:
            from api.regrade import export_class, service_policy

            result = export_class(sessions, ex, policy or service_policy(), lateness)
        finally:
            engine.dispose()
        lang_ = lang or "en"
        write_outputs(result, ex, lang_, out, json_out, feedback, feedback_format, report)

    @app.command("regrade")
    def regrade_cmd(
        exercise: str = typer.Argument(..., help="Exercise id, e.g. layers."),
        jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Grading processes (default: the cores)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Grade and list the changes; store nothing."),
        changes: Optional[Path] = typer.Option(None, "--changes", help="Also write the changes as CSV here."),
        policy: Optional[str] = typer.Option(None, "--policy", callback=_policy,
                                             help="Gradebook policy for the per-student list: best or latest."),
        database: Optional[str] = typer.Option(None, "--database", help="Database URL (default: "
                                                                        "DLGRADE_DATABASE_URL)."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar (stderr)."),
    ) -> None:
        """Grade every finished submission of EXERCISE again (after a grader fix); list whose scores changed."""
        from rich.table import Table

        from grader.options import grade_options

        ex = _exercise(exercise)
        _writable(changes, "--changes")
        engine, sessions = _open_db(database)
        try:
            from api.regrade import regrade, service_policy

            with _progress(progress, f"regrading {ex.id}") as bar:
                task = bar.add_task(f"regrading {ex.id}", total=None, last="")

                def on_start(total):
                    bar.update(task, total=total)

                def on_result(c):
                    bar.update(task, advance=1, last=c.student)

                result = regrade(sessions, ex, jobs, grade_options(), dry_run, policy or service_policy(),
                                 on_start=on_start, on_result=on_result)
        finally:
            engine.dispose()
        out = Console(highlight=False, soft_wrap=True)
        table = Table(title=f"Changed scores — {ex.id}" + (" (dry run: nothing stored)" if dry_run else ""),
                      title_justify="left")
        for col, justify in (("student", "left"), ("submission", "right"), ("file", "left"), ("old", "right"),
                             ("new", "right"), ("Δ", "right"), ("items changed", "left")):
            table.add_column(col, justify=justify, overflow="fold")
        for c in result.changes:
            table.add_row(c.student, str(c.submission_id), c.filename,
                          "error" if c.old_score is None else f"{c.old_score:g}", f"{c.new_score:g}",
                          "" if c.delta is None else f"{c.delta:+g}",
                          ", ".join(f"{k} {'-' if o is None else f'{o:g}'}→{n:g}" for k, (o, n) in c.items.items()))
        out.print(table if result.changes else f"No score changed among {result.total} submissions of {ex.id}.")
        if result.students:
            st = Table(title="Gradebook scores that changed", title_justify="left")
            st.add_column("student")
            st.add_column("before", justify="right")
            st.add_column("after", justify="right")
            for student, (a, b) in sorted(result.students.items()):
                st.add_row(student, "-" if a is None else f"{a:g}", "-" if b is None else f"{b:g}")
            out.print(st)
        if changes is not None:
            import csv

            with open(changes, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh, lineterminator="\n")
                w.writerow(["student", "submission", "filename", "old_status", "new_status", "old_score",
                            "new_score", "delta", "items", "stored"])
                for c in result.changes:
                    w.writerow([c.student, c.submission_id, c.filename, c.old_status, c.new_status,
                                "" if c.old_score is None else f"{c.old_score:g}", f"{c.new_score:g}",
                                "" if c.delta is None else f"{c.delta:g}",
                                ";".join(f"{k}={'' if o is None else f'{o:g}'}->{n:g}" for k, (o, n) in c.items.items()),
                                int(c.stored)])
        err.print(f"regraded {result.total} submissions of {ex.id} in {result.wall_seconds:.1f} s: "
                  f"{len(result.changes)} changed, gradebook score changed for {len(result.students)} student(s)"
                  + (f", {len(result.failed)} could not be regraded (kept as they were)" if result.failed else "")
                  + ("; dry run, nothing stored" if dry_run else ""))
        for c in result.failed:
            err.print(f"  [yellow]not regraded[/yellow] {c.student} #{c.submission_id}: {c.reason}")
