"""Pieces of `dlgrade batch`: discovery, deadlines and penalties, executors, a dying grading process."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from corpus_tools import CORPUS
from exercises import get
from grader.classroom.batch import CONFLICT, FAILED, GRADED, UNGRADABLE, BatchError, discover, folder_files, run_batch
from grader.options import GradeOptions
from grader.classroom.lateness import ConfigError, LatePolicy, assess, load_config, load_times, parse_config

JST = timezone(timedelta(hours=9))
CORRECT = (CORPUS / "layers" / "correct_book.py").read_bytes()
BUG = CORPUS / "layers" / "bug_affine_dw_transpose.py"
OPTIONS = GradeOptions(statement_budget=0.3)


def write(root: Path, rel: str, data: bytes | str = b"") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


# --------------------------------------------------------------------------- discovery


def test_discover_students_conflicts_and_ignored(tmp_path):
    write(tmp_path, "s2.py", CORRECT)
    write(tmp_path, "s10.ipynb", "{}")
    write(tmp_path, "s1.py", CORRECT)
    write(tmp_path, "s1.ipynb", "{}")              # conflict: file + notebook
    write(tmp_path, "s3.py", CORRECT)
    write(tmp_path, "s3/answer.py", CORRECT)       # conflict: file + folder
    write(tmp_path, "s4/B.py", CORRECT)
    write(tmp_path, "s4/a.ipynb", "{}")
    write(tmp_path, "s4/.ipynb_checkpoints/a-checkpoint.ipynb", "{}")
    write(tmp_path, "s4/__pycache__/x.py", "")
    write(tmp_path, "s4/data.npz", b"\x00")
    write(tmp_path, "Notes.TXT", "x")
    write(tmp_path, ".hidden.py", CORRECT)
    write(tmp_path, "__MACOSX/s9.py", CORRECT)
    write(tmp_path, "S5.PY", CORRECT)              # suffixes are case-insensitive
    d = discover(tmp_path)
    assert [s.student for s in d.submissions] == ["s1", "s2", "s3", "s4", "S5", "s10"]  # natural order
    by = {s.student: s for s in d.submissions}
    assert by["s1"].conflict and by["s3"].conflict and not by["s2"].conflict
    assert by["s1"].files == []
    assert [f.name for f in by["s4"].files] == ["a.ipynb", "B.py"]
    assert d.ignored == ["Notes.TXT"]


def test_folder_files_follow_the_course_notebooks(tmp_path):
    for name in ("z_extra.py", "3-1-3_その他の層.ipynb", "3-1-1_アファイン層.ipynb", "sub/deep.py"):
        write(tmp_path, name, "x = 1\n")
    got = [p.relative_to(tmp_path).as_posix() for p in folder_files(tmp_path, get("layers").notebooks)]
    assert got == ["3-1-1_アファイン層.ipynb", "3-1-3_その他の層.ipynb", "sub/deep.py", "z_extra.py"]


def test_discover_usage_errors(tmp_path):
    with pytest.raises(BatchError, match="no such directory"):
        discover(tmp_path / "missing")
    write(tmp_path, "f.py", CORRECT)
    with pytest.raises(BatchError, match="not a directory"):
        discover(tmp_path / "f.py")


def test_submission_time_is_the_newest_file_of_a_folder(tmp_path):
    a = write(tmp_path, "s1/a.py", CORRECT)
    b = write(tmp_path, "s1/b.py", "y = 2\n")
    t1 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc).timestamp()
    os.utime(a, (t1, t1))
    os.utime(b, (t1 + 3600, t1 + 3600))
    sub = discover(tmp_path).submissions[0]
    assert sub.submitted_at == datetime(2026, 12, 1, 11, 0, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- deadlines


DEADLINE = datetime(2026, 12, 1, 23, 59, tzinfo=JST)


@pytest.mark.parametrize("delta,days,fraction", [
    (timedelta(hours=-5), 0, 0.0),
    (timedelta(0), 0, 0.0),
    (timedelta(seconds=1), 1, 0.1),
    (timedelta(hours=24), 1, 0.1),
    (timedelta(hours=24, seconds=1), 2, 0.2),
    (timedelta(days=9, hours=1), 10, 0.5),  # capped by max_penalty
])
def test_per_day_penalty(delta, days, fraction):
    info = assess(DEADLINE, LatePolicy("per_day", rate=0.1, max_penalty=0.5), DEADLINE + delta, 20.0)
    assert info.days_late == days and info.late == (days > 0)
    assert info.fraction == pytest.approx(fraction)
    assert info.final_score == pytest.approx(20 * (1 - fraction))
    assert info.penalty == pytest.approx(20 * fraction)


def test_flat_none_and_grace():
    late = DEADLINE + timedelta(minutes=3)
    assert assess(DEADLINE, LatePolicy("flat", factor=0.5), late, 10).final_score == 5
    assert assess(DEADLINE, LatePolicy("flat", factor=0.5), DEADLINE + timedelta(days=5), 10).final_score == 5
    none = assess(DEADLINE, LatePolicy("none"), late, 10)
    assert none.late and none.final_score == 10 and none.penalty == 0
    grace = assess(DEADLINE, LatePolicy("per_day", rate=0.1, grace_minutes=5), late, 10)
    assert not grace.late and grace.final_score == 10
    unknown = assess(DEADLINE, LatePolicy("per_day", rate=0.1), None, 10)
    assert not unknown.late and unknown.final_score == 10


def test_config_file_forms(tmp_path):
    path = write(tmp_path, "d.toml", """
timezone = "Asia/Tokyo"
late_penalty = 0.2

[deadlines]
layers = "2026-12-01T23:59:00+09:00"
optimizers = 2026-12-15T23:59:00
batchnorm = "2027-01-10"
dropout = { due = "2027-01-20T23:59:00Z", policy = "flat", factor = 0.5 }
activations = 2026-11-01

[late]
max_penalty = 0.6
grace_minutes = 10
""")
    cfg = load_config(path)
    assert cfg.deadline_for("layers") == DEADLINE
    assert cfg.deadline_for("optimizers") == datetime(2026, 12, 15, 23, 59, tzinfo=JST)
    assert cfg.deadline_for("batchnorm") == datetime(2027, 1, 10, 23, 59, 59, tzinfo=JST)
    assert cfg.deadline_for("activations").date() == date(2026, 11, 1)
    assert cfg.deadline_for("dropout") == datetime(2027, 1, 20, 23, 59, tzinfo=timezone.utc)
    assert cfg.deadline_for("losses") is None
    assert cfg.policy_for("layers") == LatePolicy("per_day", rate=0.2, max_penalty=0.6, grace_minutes=10)
    assert cfg.policy_for("dropout").policy == "flat" and cfg.policy_for("dropout").factor == 0.5
    assert cfg.assess("losses", DEADLINE, 5, 10) is None
    info = cfg.assess("layers", datetime(2026, 12, 3, 12, 0), 10, 23)  # naive: the config's timezone
    assert info.days_late == 2 and info.final_score == pytest.approx(6.0)


@pytest.mark.parametrize("text,message", [
    ("[deadlines]\nlayerz = 2026-12-01T00:00:00Z\n", "unknown exercise"),
    ("[deadlines]\nlayers = \"next friday\"\n", "not an ISO 8601"),
    ("[late]\nrate = 1.5\n", "out of range"),
    ("[late]\nrate = \"10%\"\n", "expected a number"),
    ("[late]\npolicy = \"weekly\"\n", "use one of"),
    ("[late]\nrat = 0.1\n", "unknown key"),
    ("deadline = 1\n", "unknown key"),
    ("timezone = \"Mars/Olympus\"\n", "unknown timezone"),
    ("[deadlines]\nlayers = { policy = \"flat\" }\n", "needs `due"),
    ("[deadlines\n", "not valid TOML"),
])
def test_config_errors_are_readable(tmp_path, text, message):
    path = write(tmp_path, "d.toml", text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_times_csv(tmp_path):
    path = write(tmp_path, "t.csv", "student,submitted_at\ns1,2026-12-02T10:00:00+09:00\ns2,2026-12-01T09:00\n")
    times = load_times(path)
    assert times["s1"] == datetime(2026, 12, 2, 10, tzinfo=JST)
    assert times["s2"] == datetime(2026, 12, 1, 9, tzinfo=JST)
    with pytest.raises(ConfigError, match="student,submitted_at"):
        load_times(write(tmp_path, "bad.csv", "name,time\n"))


# --------------------------------------------------------------------------- executors


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("small")
    for i in range(6):
        write(root, f"ok{i}.py", CORRECT)
    write(root, "bug.py", BUG.read_bytes())
    write(root, "empty.py", "")
    write(root, "twice.py", CORRECT)
    write(root, "twice.ipynb", "{}")
    return root


def _summary(result):
    return {r.student: (r.status, r.raw_score, tuple(sorted(r.item_scores.items()))) for r in result.results}


def test_serial_threads_and_processes_agree(small_class):
    serial = run_batch("layers", small_class, jobs=1, options=OPTIONS)
    threads = run_batch("layers", small_class, jobs=2, options=OPTIONS, executor="thread")
    procs = run_batch("layers", small_class, jobs=2, options=OPTIONS, executor="process")
    auto = run_batch("layers", small_class, jobs=2, options=OPTIONS)
    assert _summary(serial) == _summary(threads) == _summary(procs) == _summary(auto)
    assert procs.jobs == 2 and serial.jobs == 1
    assert (procs.executor, threads.executor, auto.executor) == ("process", "thread", "thread")
    st = {r.student: r.status for r in serial.results}
    assert st == {**{f"ok{i}": GRADED for i in range(6)}, "bug": GRADED, "empty": UNGRADABLE, "twice": CONFLICT}
    assert {r.student: r.raw_score for r in serial.results}["bug"] == 20


def test_progress_callbacks(small_class):
    seen, started = [], []
    run_batch("layers", small_class, jobs=2, options=OPTIONS, on_start=started.append,
              on_result=lambda r: seen.append(r.student))
    assert started == [9] and sorted(seen) == sorted(["bug", "empty", "twice"] + [f"ok{i}" for i in range(6)])


class _KillsTheGradingProcess:
    """Unpickled in a grading process, it ends that process: a grader crash, not a student's."""

    def __reduce__(self):
        return os._exit, (3,)


def test_a_dying_grading_process_does_not_stop_the_batch(small_class):
    options = GradeOptions(statement_budget=0.3, sandbox={"poison": _KillsTheGradingProcess()})
    result = run_batch("layers", small_class, jobs=2, options=options, executor="process")
    assert len(result.results) == 9
    failed = [r for r in result.results if r.status == FAILED]
    assert len(failed) == 8  # every graded submission, after one retry each; the conflict needs no process
    assert all("grading process died" in r.reason.en and r.raw_score == 0 for r in failed)
