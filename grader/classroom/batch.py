"""Grade a whole class: every submission in a folder, in parallel, into a gradebook.

``dlgrade batch EXERCISE DIR`` (INTERFACES.md) is :func:`run_batch` plus the writers
below.  A submission is ``<student>.py``, ``<student>.ipynb`` or a folder
``<student>/`` holding one or more ``.py`` / ``.ipynb`` files (e.g. the course's
notebooks, graded as one submission in the exercise's notebook order).  Two
entries for one student are never guessed between: that student is a *conflict*
and scores 0.

Parallelism: ``jobs`` grading processes (``spawn`` context), each with its own warm
:class:`grader.runner.pool.Zygote`; student code runs in the zygote's forked children,
the comparisons run in the grading processes, so both scale with the cores.
``jobs=1`` grades in this process.  A submission that cannot be read or graded
never stops the batch: it scores 0 with its reason.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import os
import re
import statistics
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from grader.messages import Msg
from grader.options import MAX_FILE_BYTES

log = logging.getLogger("dlgrade.batch")

GRADABLE_SUFFIXES = (".py", ".ipynb")
# Folders that tools create next to submissions; never part of a submission.
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX", ".git", ".venv", "node_modules"}
MAX_FOLDER_DEPTH = 4
# executor="auto": grading processes (each with its own warm zygote) for a class of at least
# AUTO_PROCESSES_FROM submissions, threads sharing one zygote for a few.  Since a grading takes ~30 ms, the
# grader's own share (comparisons, decoding) is large enough for threads to contend for the GIL: 1000
# `layers` submissions took 16.6 s with 2 processes and 18.9 s with 2 threads (bench/README.md); a few
# submissions are not worth the processes' start-up.
AUTO_PROCESSES_FROM = 40

# Outcome statuses of one student's row.
GRADED = "graded"            # graded normally (whatever the score)
UNGRADABLE = "ungradable"    # nothing could be graded: every item error with the same reason
CONFLICT = "conflict"        # several submissions for one student: not guessed between
FAILED = "failed"            # the grader itself failed on this submission (our bug / crash)
NO_SUBMISSION = "no_submission"  # dlgrade export: a student of the roster who has no graded submission
NOT_GRADED = (UNGRADABLE, CONFLICT, FAILED, NO_SUBMISSION)


class BatchError(Exception):
    """A usage problem found before grading starts (exit status 2)."""


def natural_key(text: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


# --------------------------------------------------------------------------- discovery


@dataclass
class Entry:
    """One thing in DIR that claims to be a student's submission."""

    student: str
    path: Path
    kind: str  # "file" or "folder"


@dataclass
class Submission:
    student: str
    entries: list[Entry]
    files: list[Path] = field(default_factory=list)  # the files to grade, in order
    submitted_at: datetime | None = None

    @property
    def conflict(self) -> bool:
        return len(self.entries) > 1

    def names(self, root: Path) -> list[str]:
        return [rel_name(f, root) for f in self.files]


@dataclass
class Discovery:
    submissions: list[Submission]
    ignored: list[str]  # names in DIR that are not submissions (README.txt, grades.csv...)


def rel_name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def is_gradable(path: Path) -> bool:
    return path.suffix.lower() in GRADABLE_SUFFIXES


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$") or name in SKIPPED_DIRS


def folder_files(folder: Path, notebooks: Iterable[str] = ()) -> list[Path]:
    """The gradable files in a student's folder: the exercise's notebooks first, in the
    course's order, then the rest by name.  Hidden files and tool folders are skipped."""
    found: list[Path] = []

    def walk(d: Path, depth: int) -> None:
        try:
            children = sorted(d.iterdir(), key=lambda p: natural_key(p.name))
        except OSError:
            return
        for c in children:
            if _hidden(c.name):
                continue
            if c.is_dir() and not c.is_symlink():
                if depth < MAX_FOLDER_DEPTH:
                    walk(c, depth + 1)
            elif c.is_file() and is_gradable(c):
                found.append(c)

    walk(folder, 1)
    order = {name: i for i, name in enumerate(notebooks)}

    def key(p: Path):
        return (order.get(p.name, len(order)), natural_key(rel_name(p, folder)))

    return sorted(found, key=key)


def mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    except OSError:
        return None


def discover(directory: Path, notebooks: Iterable[str] = ()) -> Discovery:
    """Find the submissions in ``directory`` (raises BatchError if it cannot be listed)."""
    directory = Path(directory)
    if not directory.exists():
        raise BatchError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise BatchError(f"{directory}: not a directory")
    try:
        children = sorted(directory.iterdir(), key=lambda p: natural_key(p.name))
    except OSError as exc:
        raise BatchError(f"{directory}: {exc.strerror or exc}") from None
    notebooks = tuple(notebooks)
    by_student: dict[str, list[Entry]] = {}
    ignored: list[str] = []
    for c in children:
        if _hidden(c.name):
            continue
        if c.is_dir():
            by_student.setdefault(c.name, []).append(Entry(c.name, c, "folder"))
        elif is_gradable(c):
            by_student.setdefault(c.stem, []).append(Entry(c.stem, c, "file"))
        else:
            ignored.append(c.name)
    subs: list[Submission] = []
    for student in sorted(by_student, key=natural_key):
        entries = by_student[student]
        sub = Submission(student=student, entries=entries)
        if not sub.conflict:
            e = entries[0]
            sub.files = [e.path] if e.kind == "file" else folder_files(e.path, notebooks)
            times = [t for t in (mtime(f) for f in sub.files) if t is not None]
            sub.submitted_at = max(times) if times else None
        subs.append(sub)
    return Discovery(subs, ignored)


# --------------------------------------------------------------------------- grading one submission


@dataclass
class Job:
    """What a grading process is sent: picklable, small (paths, not bytes)."""

    index: int
    student: str
    files: list[tuple[str, str | bytes]]  # (display name, absolute path or the file's bytes)


def _outcome(job: Job, status: str, report: dict | None, reason: Msg | None, wall_ms: float) -> dict:
    return {"index": job.index, "student": job.student, "status": status, "report": report,
            "reason": None if reason is None else {"en": reason.en, "ja": reason.ja},
            "wall_ms": wall_ms}


def unreadable_report(exercise, filename: str, msg: Msg):
    """The report of a submission that cannot be graded at all (every item ``error``)."""
    from grader.report import ItemResult, Report

    report = Report(exercise=exercise.id, submission=filename)
    report.unreadable = msg
    report.items = [ItemResult(id=i.id, status="error", score=0.0, max_score=float(i.points), feedback=msg,
                               hint=i.hint, section=i.section) for i in exercise.items]
    report.notes.append(msg)
    return report


def grade_files(exercise, files: list[tuple[str, bytes]], submission_name: str, options, starter):
    """Grade one submission made of one or more files (a folder): the files are loaded
    in order and run as one program, as if they were consecutive notebook cells."""
    from grader.engine import grade_loaded, grade_source
    from grader.loader import LoadedSubmission, UnreadableSubmission, load_submission
    from grader.report import Report

    if len(files) == 1:
        name, data = files[0]
        return grade_source(exercise, data, name, options, starter)
    t0 = time.perf_counter()
    merged = LoadedSubmission()
    problems: list[Msg] = []
    for name, data in files:
        try:
            loaded = load_submission(data, name)
        except UnreadableSubmission as exc:
            problems.append(exc.msg)
            continue
        merged.units += loaded.units
        merged.notes += [Msg(en=f"{name}: {n.en}", ja=f"{name}: {n.ja}") for n in loaded.notes]
    if not merged.units:
        msg = Msg.join(problems) if problems else Msg(en="No file of the folder could be read.",
                                                       ja="フォルダ内のどのファイルも読めませんでした。")
        report = unreadable_report(exercise, submission_name, msg)
        report.duration_ms = (time.perf_counter() - t0) * 1000
        return report
    report = Report(exercise=exercise.id, submission=submission_name)
    report.notes += [Msg(en=f"{p.en} — the file was skipped.", ja=f"{p.ja}(このファイルは読み飛ばしました)")
                     for p in problems]
    report.notes += merged.notes
    grade_loaded(exercise, merged, report, options, starter)
    report.duration_ms = (time.perf_counter() - t0) * 1000
    return report


def grade_job(job: Job, exercise, options, starter) -> dict:
    """Grade one student; never raises (a failure becomes the outcome ``failed``).

    With a variant book in ``options`` (an exercise with per-student numbers), the student's id
    selects the numbers."""
    t0 = time.perf_counter()
    if getattr(options, "variants", None) is not None and exercise.variants is not None:
        options = dataclasses.replace(options, student=job.student)
    try:
        if not job.files:
            msg = Msg(en=f"The folder {job.student}/ holds no .py or .ipynb file.",
                      ja=f"フォルダ {job.student}/ に .py / .ipynb ファイルがありません。")
            report = unreadable_report(exercise, f"{job.student}/", msg)
            return _outcome(job, UNGRADABLE, report.to_bilingual(), msg, (time.perf_counter() - t0) * 1000)
        files: list[tuple[str, bytes]] = []
        for name, path in job.files:
            try:
                if isinstance(path, bytes):  # stored sources (regrade)
                    if len(path) > MAX_FILE_BYTES:
                        raise ValueError
                    files.append((name, path))
                    continue
                size = os.path.getsize(path)
                if size > MAX_FILE_BYTES:
                    raise ValueError
                with open(path, "rb") as fh:
                    files.append((name, fh.read()))
            except ValueError:
                msg = Msg(en=f"{name} is larger than {MAX_FILE_BYTES >> 20} MiB and was not graded.",
                          ja=f"{name} は {MAX_FILE_BYTES >> 20} MiB を超えるため採点しませんでした。")
                report = unreadable_report(exercise, name, msg)
                return _outcome(job, UNGRADABLE, report.to_bilingual(), msg, (time.perf_counter() - t0) * 1000)
            except OSError as exc:
                msg = Msg(en=f"{name} could not be read ({exc.strerror or exc}).",
                          ja=f"{name} を読み込めませんでした({exc.strerror or exc})。")
                report = unreadable_report(exercise, name, msg)
                return _outcome(job, UNGRADABLE, report.to_bilingual(), msg, (time.perf_counter() - t0) * 1000)
        name = files[0][0] if len(files) == 1 else f"{job.student}/"
        report = grade_files(exercise, files, name, options, starter)
        status = UNGRADABLE if report.unreadable is not None else GRADED
        return _outcome(job, status, report.to_bilingual(), report.unreadable, (time.perf_counter() - t0) * 1000)
    except Exception as exc:  # noqa: BLE001 - one submission must never stop the batch
        log.exception("grading %s failed", job.student)
        msg = Msg(en=f"The grader failed on this submission ({type(exc).__name__}: {exc}); "
                     "this is not the student's fault.",
                  ja=f"採点プログラムがこの提出物で失敗しました({type(exc).__name__})。学生の誤りではありません。")
        return _outcome(job, FAILED, None, msg, (time.perf_counter() - t0) * 1000)


# Per-process state of a grading process (set by _init_process).
_state: dict = {}


def _init_process(exercise_id: str, options) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent
    from exercises import get
    from grader.runner.pool import default_starter

    _state["exercise"] = get(exercise_id)
    _state["options"] = options
    _state["starter"] = default_starter()  # one warm zygote per grading process


def _grade_in_process(job: Job) -> dict:
    return grade_job(job, _state["exercise"], _state["options"], _state["starter"])


# --------------------------------------------------------------------------- results


@dataclass
class StudentResult:
    student: str
    files: list[str]                 # the graded files, relative to DIR
    status: str                      # GRADED, UNGRADABLE, CONFLICT, FAILED or NO_SUBMISSION
    reason: Msg | None               # why it was not graded (NOT_GRADED statuses)
    report: dict | None              # the bilingual report (Report.to_bilingual), None if not graded at all
    max_score: float
    item_scores: dict[str, float]
    duration_ms: float = 0.0         # grading time of the submission (the report's duration)
    submitted_at: datetime | None = None
    late: object | None = None       # grader.classroom.lateness.LateInfo when a deadline applies
    extra: dict = field(default_factory=dict)  # more fields for the JSON lines (e.g. the stored submission id)

    @property
    def raw_score(self) -> float:
        if self.status in (CONFLICT, NO_SUBMISSION) or self.report is None:
            return 0.0
        return round(float(self.report.get("score", 0.0)), 4)

    @property
    def score(self) -> float:
        """The gradebook score: the raw score minus any late penalty."""
        if self.late is not None:
            return self.late.final_score
        return self.raw_score

    @property
    def graded(self) -> bool:
        return self.status == GRADED

    def report_in(self, lang: str, instructor: bool = False) -> dict | None:
        from grader.report import select_lang

        return None if self.report is None else select_lang(self.report, lang, instructor)


@dataclass
class BatchResult:
    exercise_id: str
    item_ids: list[str]
    max_score: float
    results: list[StudentResult]
    ignored: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    jobs: int = 1
    has_deadline: bool = False
    deadline: datetime | None = None
    executor: str = "auto"

    @property
    def conflicts(self) -> list[StudentResult]:
        return [r for r in self.results if r.status == CONFLICT]

    @property
    def not_graded(self) -> list[StudentResult]:
        return [r for r in self.results if r.status in NOT_GRADED]

    @property
    def graded(self) -> list[StudentResult]:
        return [r for r in self.results if r.status == GRADED]

    def stats(self) -> dict:
        scores = [r.score for r in self.results]
        graded = [r.score for r in self.graded]
        durations = [r.duration_ms for r in self.results if r.report is not None]
        return {
            "students": len(self.results),
            "graded": len(self.graded),
            "not_graded": len(self.not_graded),
            "conflicts": len(self.conflicts),
            "max_score": self.max_score,
            "mean": statistics.fmean(scores) if scores else None,
            "median": statistics.median(scores) if scores else None,
            "mean_graded": statistics.fmean(graded) if graded else None,
            "median_graded": statistics.median(graded) if graded else None,
            "stdev": statistics.pstdev(scores) if len(scores) > 1 else 0.0 if scores else None,
            "min": min(scores) if scores else None,
            "max": max(scores) if scores else None,
            "full_marks": sum(1 for r in self.results if r.graded and r.score >= self.max_score),  # after any late penalty
            "late": sum(1 for r in self.results if r.late is not None and r.late.late),
            "wall_seconds": self.wall_seconds,
            "mean_duration_ms": statistics.fmean(durations) if durations else None,
            "median_duration_ms": statistics.median(durations) if durations else None,
        }

    def slowest(self, n: int = 10) -> list[StudentResult]:
        timed = [r for r in self.results if r.report is not None]
        return sorted(timed, key=lambda r: -r.duration_ms)[:n]


def conflict_reason(sub: Submission, root: Path) -> Msg:
    names = ", ".join(rel_name(e.path, root) + ("/" if e.kind == "folder" else "") for e in sub.entries)
    return Msg(en=f"Several submissions for {sub.student} ({names}); none was graded — keep exactly one.",
               ja=f"{sub.student} の提出物が複数あります({names})。どれも採点していません。1 つだけにしてください。")


def _student_result(sub: Submission, root: Path, outcome: dict, exercise) -> StudentResult:
    item_ids = [i.id for i in exercise.items]
    report = outcome.get("report")
    scores = {i: 0.0 for i in item_ids}
    duration = outcome.get("wall_ms", 0.0)
    if report is not None:
        for it in report.get("items", []):
            if it.get("id") in scores:
                scores[it["id"]] = round(float(it.get("score", 0.0)), 4)
        duration = float(report.get("duration_ms", duration))
    reason = outcome.get("reason")
    return StudentResult(student=sub.student, files=sub.names(root), status=outcome["status"],
                         reason=None if reason is None else Msg(en=reason["en"], ja=reason["ja"]),
                         report=report, max_score=exercise.max_score, item_scores=scores,
                         duration_ms=duration, submitted_at=sub.submitted_at)


def run_batch(exercise_id: str, directory: Path, jobs: int | None = None, options=None,
              on_result: Callable[[StudentResult], None] | None = None,
              on_start: Callable[[int], None] | None = None,
              discovery: Discovery | None = None,
              times: dict[str, datetime] | None = None,
              lateness=None, executor: str = "auto") -> BatchResult:
    """Grade every submission in ``directory``.

    ``jobs``: grading processes (default: the cores).  ``on_start(total)`` and
    ``on_result(result)`` drive a progress display (called in this thread).
    ``times`` overrides submission times per student; ``lateness`` is a
    :class:`grader.classroom.lateness.LatenessConfig` (deadline + penalty) or None.
    ``executor``: ``"process"`` (grading processes, each with its own zygote), ``"thread"`` (threads
    sharing one zygote) or ``"auto"`` (processes for ``AUTO_PROCESSES_FROM`` submissions or more).
    """
    from exercises import get
    from grader.options import GradeOptions

    exercise = get(exercise_id)  # raises UnknownExercise
    directory = Path(directory)
    jobs = max(1, int(jobs or default_jobs()))
    options = options or GradeOptions()
    if options.seed is None:  # one seed for the whole run: everyone graded on the same inputs (same wrong
        import dataclasses    # answers are then comparable across the class: grader/classroom/similarity.py)

        options = dataclasses.replace(options, seed=int.from_bytes(os.urandom(8), "little") >> 1)
    t0 = time.perf_counter()
    disc = discovery or discover(directory, exercise.notebooks)
    subs = disc.submissions
    if times:
        for s in subs:
            if s.student in times:
                s.submitted_at = times[s.student]
    results: list[StudentResult | None] = [None] * len(subs)
    if on_start:
        on_start(len(subs))

    def finish(index: int, outcome: dict) -> None:
        r = _student_result(subs[index], directory, outcome, exercise)
        if lateness is not None:
            if r.submitted_at is not None:  # shown in the deadlines' timezone
                r.submitted_at = r.submitted_at.astimezone(lateness.zone())
            r.late = lateness.assess(exercise.id, r.submitted_at, r.raw_score, r.max_score)
        results[index] = r
        if on_result:
            on_result(r)

    pending: list[Job] = []
    for i, s in enumerate(subs):
        if s.conflict:
            finish(i, {"status": CONFLICT, "report": None, "wall_ms": 0.0,
                       "reason": {"en": conflict_reason(s, directory).en, "ja": conflict_reason(s, directory).ja}})
        else:
            pending.append(Job(i, s.student, [(rel_name(f, directory), str(f.resolve())) for f in s.files]))

    if executor == "auto":
        executor = _auto_executor(min(jobs, len(pending) or 1), len(pending))
    workers = grade_jobs(pending, exercise, options, jobs, finish, executor)
    deadline = lateness.deadline_for(exercise.id) if lateness is not None else None
    return BatchResult(exercise_id=exercise.id, item_ids=[i.id for i in exercise.items],
                       max_score=exercise.max_score, results=[r for r in results if r is not None],
                       ignored=disc.ignored, wall_seconds=time.perf_counter() - t0, jobs=workers,
                       has_deadline=deadline is not None, deadline=deadline, executor=executor)


def _auto_executor(workers: int, submissions: int) -> str:
    return "process" if workers > 1 and submissions >= AUTO_PROCESSES_FROM else "thread"


def grade_jobs(pending: list[Job], exercise, options, jobs: int, finish: Callable[[int, dict], None],
               executor: str = "auto") -> int:
    """Grade ``pending`` with up to ``jobs`` workers; ``finish(job.index, outcome)`` is called in this
    thread as each one completes.  Returns the number of workers used."""
    workers = min(jobs, len(pending)) or 1
    if not pending:
        return workers
    if executor == "auto":
        executor = _auto_executor(workers, len(pending))
    if workers == 1:
        from grader.runner.pool import default_starter

        starter = default_starter()
        for job in pending:
            finish(job.index, grade_job(job, exercise, options, starter))
    elif executor == "thread":
        _run_threads(pending, workers, exercise, options, finish)
    else:
        _run_processes(pending, workers, exercise.id, options, finish)
    return workers


def _run_threads(pending: list[Job], workers: int, exercise, options, finish) -> None:
    from grader.runner.pool import default_starter

    starter = default_starter()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dlgrade-batch") as pool:
        futures = {pool.submit(grade_job, job, exercise, options, starter): job for job in pending}
        for fut in _as_completed(futures):
            finish(futures[fut].index, fut.result())


def _as_completed(futures: Iterable[Future]):
    todo = set(futures)
    while todo:
        done, todo = wait(todo, return_when=FIRST_COMPLETED)
        yield from done


def _run_processes(pending: list[Job], workers: int, exercise_id: str, options, finish) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    attempts: dict[int, int] = {}
    queue = list(pending)
    while queue:
        broken: list[Job] = []
        pool = ProcessPoolExecutor(max_workers=min(workers, len(queue)), mp_context=ctx,
                                   initializer=_init_process, initargs=(exercise_id, options))
        try:
            futures = {pool.submit(_grade_in_process, job): job for job in queue}
            for fut in _as_completed(futures):
                job = futures[fut]
                try:
                    outcome = fut.result()
                except BrokenProcessPool:
                    broken.append(job)
                    continue
                except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
                    outcome = _outcome(job, FAILED, None, Msg(
                        en=f"The grader failed on this submission ({type(exc).__name__}).",
                        ja=f"採点プログラムがこの提出物で失敗しました({type(exc).__name__})。"), 0.0)
                finish(job.index, outcome)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        queue = []
        for job in broken:
            attempts[job.index] = attempts.get(job.index, 0) + 1
            if attempts[job.index] >= 2:
                finish(job.index, _outcome(job, FAILED, None, Msg(
                    en="The grading process died while grading this submission (twice); it was not graded.",
                    ja="この提出物の採点中に採点プロセスが 2 回停止したため、採点できませんでした。"), 0.0))
            else:
                queue.append(job)
        if queue:
            log.warning("a grading process died; regrading %d submission(s) in a new pool", len(queue))


# --------------------------------------------------------------------------- writers


def fmt_score(x: float | None) -> str:
    if x is None:
        return ""
    x = round(float(x), 4)
    if x == 0:
        return "0"
    return format(x, "g")


def fmt_time(t: datetime | None) -> str:
    return "" if t is None else t.isoformat(timespec="seconds")


def csv_header(result: BatchResult) -> list[str]:
    head = ["student", "score", "max_score", *result.item_ids]
    if result.has_deadline:
        head += ["late", "days_late", "penalty", "raw_score", "submitted_at"]
    return head


def csv_rows(result: BatchResult) -> list[list[str]]:
    rows = []
    for r in result.results:
        row = [r.student, fmt_score(r.score), fmt_score(r.max_score)]
        row += [fmt_score(r.item_scores.get(i, 0.0)) for i in result.item_ids]
        if result.has_deadline:
            late = r.late
            row += ["1" if late is not None and late.late else "0",
                    str(late.days_late) if late is not None else "0",
                    fmt_score(late.penalty if late is not None else 0.0),
                    fmt_score(r.raw_score), fmt_time(r.submitted_at)]
        rows.append(row)
    return rows


def write_csv(result: BatchResult, out) -> None:
    """The gradebook of INTERFACES.md (``out``: a path, or a text stream)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(csv_header(result))
    w.writerows(csv_rows(result))
    _write_text(out, buf.getvalue())


def jsonl_record(r: StudentResult, lang: str) -> dict:
    rec = {
        "student": r.student,
        "files": r.files,
        "status": r.status,
        "reason": None if r.reason is None else r.reason.get(lang),
        "score": r.score,
        "raw_score": r.raw_score,
        "max_score": r.max_score,
        "duration_ms": int(round(r.duration_ms)),
        "submitted_at": fmt_time(r.submitted_at) or None,
    }
    if r.late is not None:
        rec["late"] = r.late.to_dict()
    rec.update(r.extra)
    rec["report"] = r.report_in(lang, instructor=True)  # the instructor's file: says whose numbers an answer fits
    return rec


def write_jsonl(result: BatchResult, out, lang: str = "en") -> None:
    """One JSON object per student: status, scores and the full report (INTERFACES.md)."""
    lines = [json.dumps(jsonl_record(r, lang), ensure_ascii=False) for r in result.results]
    _write_text(out, "".join(line + "\n" for line in lines))


def _write_text(out, text: str) -> None:
    if hasattr(out, "write"):
        out.write(text)
        return
    path = Path(out)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def safe_filename(student: str) -> str:
    name = re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "_", student).strip(" .")
    return name or "_"


def write_feedback(result: BatchResult, folder: Path, fmt: str = "html", lang: str = "en",
                   exercise=None) -> list[Path]:
    """One feedback file per student (``<student>.html`` or ``<student>.md``)."""
    from grader.classroom.feedback import render_feedback

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for r in result.results:
        path = folder / f"{safe_filename(r.student)}.{'md' if fmt == 'md' else 'html'}"
        _write_text(path, render_feedback(r, result, fmt=fmt, lang=lang, exercise=exercise))
        written.append(path)
    return written


# --------------------------------------------------------------------------- summary (terminal)


def print_summary(console, result: BatchResult, lang: str = "en", slowest: int = 5) -> None:
    from rich.table import Table

    s = result.stats()
    ja = lang == "ja"
    t = Table(title=("採点結果の概要" if ja else "Batch summary") + f" — {result.exercise_id}",
              show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    t.add_row("学生数" if ja else "students", str(s["students"]))
    t.add_row("採点済み" if ja else "graded", str(s["graded"]))
    t.add_row("採点不能" if ja else "could not grade", str(s["not_graded"]) +
              (f"  ({s['conflicts']} {'重複' if ja else 'conflicts'})" if s["conflicts"] else ""))
    if s["students"]:
        t.add_row("平均点" if ja else "mean score",
                  f"{s['mean']:.2f} / {result.max_score:g}" + (
                      f"  ({'採点済みのみ' if ja else 'graded only'}: {s['mean_graded']:.2f})"
                      if s["mean_graded"] is not None and s["not_graded"] else ""))
        t.add_row("中央値" if ja else "median score", f"{s['median']:g} / {result.max_score:g}")
        t.add_row("満点" if ja else "full marks", str(s["full_marks"]))
    if result.has_deadline:
        t.add_row("遅延提出" if ja else "late", str(s["late"]))
    rate = s["students"] / s["wall_seconds"] if s["wall_seconds"] else 0.0
    t.add_row("所要時間" if ja else "wall time",
              f"{s['wall_seconds']:.1f} s, {result.jobs} {'プロセス' if ja else 'jobs'}, {rate:.1f}/s")
    if s["median_duration_ms"] is not None:
        t.add_row("採点時間(中央値)" if ja else "grading time (median)", f"{s['median_duration_ms']:.0f} ms")
    console.print(t)
    slow = result.slowest(slowest)
    if slow:
        st = Table(title="最も遅い提出物" if ja else "Slowest submissions", title_justify="left")
        st.add_column("学生" if ja else "student")
        st.add_column("時間" if ja else "time", justify="right")
        st.add_column("得点" if ja else "score", justify="right")
        for r in slow:
            st.add_row(r.student, f"{r.duration_ms / 1000:.2f} s", f"{fmt_score(r.score)}/{fmt_score(r.max_score)}")
        console.print(st)
    bad = result.not_graded
    if bad:
        bt = Table(title="採点できなかった提出物" if ja else "Could not grade", title_justify="left")
        bt.add_column("学生" if ja else "student")
        bt.add_column("理由" if ja else "reason", overflow="fold")
        for r in bad:
            bt.add_row(r.student, (r.reason.get(lang) if r.reason else r.status))
        console.print(bt)
    if result.ignored:
        console.print(("無視したファイル: " if ja else "ignored (not .py/.ipynb/folder): ")
                      + ", ".join(result.ignored[:20]) + (" …" if len(result.ignored) > 20 else ""))


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


__all__ = ["BatchError", "BatchResult", "Discovery", "StudentResult", "Submission", "discover", "run_batch",
           "write_csv", "write_jsonl", "write_feedback", "print_summary", "default_jobs", "grade_files",
           "GRADED", "UNGRADABLE", "CONFLICT", "FAILED", "NO_SUBMISSION", "NOT_GRADED"]
