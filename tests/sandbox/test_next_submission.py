"""Nothing a submission does carries over to the next one graded by the same pool."""

from __future__ import annotations

import os
import secrets

import pytest

from conftest import ROOT, run
from exercises import get
from grader.engine import grade_source
from grader.options import GradeOptions
from grader.runner.pool import NUMPY_SITE

pytestmark = pytest.mark.timeout(60)

CORRECT = (ROOT / "tests/corpus/layers/correct_book.py").read_bytes()


def full_marks(zygote) -> None:
    report = grade_source(get("layers"), CORRECT, "correct_book.py", GradeOptions(statement_budget=1.0),
                          starter=zygote)
    lost = {i.id: i.feedback.en for i in report.items if i.score < i.max_score}
    assert not lost and report.score == report.max_score, lost


def test_poisoning_numpy_and_leaving_files_does_not_affect_the_next_submission(zygote):
    tag = f"dlgrade-sbtest-{secrets.token_hex(4)}"
    numpy_dir = os.path.join(NUMPY_SITE, "numpy")
    # Every write below is harmless even if the sandbox were broken: new, empty-ish files with
    # unique names (removed at the end) and a .py the next job would only see if it imported it.
    attack = f"""
    import os, sys, numpy as np
    TAG = {tag!r}
    def try_write(path, text):
        try:
            with open(path, "x") as f:
                f.write(text)
            return "WROTE"
        except BaseException as exc:
            return type(exc).__name__

    def probe():
        out = {{}}
        np.dot = lambda *a, **k: 0                      # in memory: this process only
        np.allclose = lambda *a, **k: True
        sys.modules["numpy.linalg"].norm = lambda *a, **k: -1
        out["numpy_pkg"] = try_write({numpy_dir!r} + f"/{{TAG}}.py", "X = 1\\n")
        out["site"] = try_write({NUMPY_SITE!r} + f"/{{TAG}}.pth", "\\n")
        out["stdlib"] = try_write(os.path.dirname(os.__file__) + f"/{{TAG}}.py", "X = 1\\n")
        out["tmp"] = try_write(f"/tmp/{{TAG}}.py", "X = 1\\n")
        out["home"] = try_write(os.path.expanduser(f"~/{{TAG}}.rc"), "x\\n")
        return out
    """
    leftovers = [f"{numpy_dir}/{tag}.py", f"{NUMPY_SITE}/{tag}.pth", os.path.dirname(os.__file__) + f"/{tag}.py",
                 f"/tmp/{tag}.py", f"/tmp/{tag}.rc"]
    try:
        got = run(zygote, attack)
        assert got["numpy_pkg"] != "WROTE" and got["site"] != "WROTE" and got["stdlib"] != "WROTE", got
        assert got["tmp"] == "WROTE"  # the job's own /tmp works...
        for p in leftovers:
            assert not os.path.exists(p), p  # ...and nothing reached the machine
        # the next job of the same pool sees none of it
        check = f"""
        import os, numpy as np
        def probe():
            return [os.path.exists(f"/tmp/{tag}.py"), os.listdir("/tmp"), float(np.dot(np.ones(2), np.ones(2))),
                    bool(np.allclose(np.zeros(1), np.ones(1))), float(np.linalg.norm(np.ones(4)))]
        """
        tmp_file, tmp_list, dot, close, norm = run(zygote, check)
        # empty, but for the mount points of read-only NumPy files when the venv itself lives under /tmp
        leftovers = [d for d in tmp_list if not NUMPY_SITE.startswith(f"/tmp/{d}/")]
        assert not tmp_file and leftovers == [] and dot == 2.0 and close is False and norm == 2.0
        full_marks(zygote)
    finally:
        for p in leftovers:
            if os.path.isfile(p):
                os.unlink(p)


def test_a_crashing_and_a_hostile_submission_then_a_correct_one_in_the_same_pool(zygote):
    hostile = """
    import os, ctypes
    def probe():
        try:
            os.kill(1, 9)                    # itself (PID 1 of its namespace): ignored
        except OSError:
            pass
        ctypes.string_at(8, 8)               # then crash
    """
    from grader.runner.session import StudentDied

    with pytest.raises(StudentDied):
        run(zygote, hostile)
    pid = zygote.pid
    full_marks(zygote)
    assert zygote.pid == pid  # the same warm zygote graded it
