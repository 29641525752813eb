"""Limits: memory, CPU, wall time, processes, output, crashes.  Hitting one names the limit; grading
carries on; nothing of a job survives it.  Every attack is bounded even if a layer were missing."""

from __future__ import annotations

import os
import secrets
import textwrap
import time

import pytest

from conftest import ROOT, alive, config, is_root, pids_named, run, session, wait_gone
from exercises import get
from grader.engine import grade_source
from grader.options import GradeOptions
from grader.runner.session import StudentError, StudentTimeout, StudentDied

pytestmark = pytest.mark.timeout(60)

CORRECT = (ROOT / "tests/corpus/layers/correct_book.py").read_text()


def replace_class(source: str, name: str, new_code: str) -> str:
    start = source.index(f"class {name}")
    nxt = source.find("\nclass ", start + 1)
    end = len(source) if nxt == -1 else nxt + 1
    return source[:start] + textwrap.dedent(new_code).strip() + "\n\n" + source[end:]


def grade(zygote, source: str, **opts):
    options = GradeOptions(statement_budget=1.0, **opts)
    report = grade_source(get("layers"), source.encode(), "attack.py", options, starter=zygote)
    return {i.id: i for i in report.items}, report


def assert_only_lost(items, expected: set[str]):
    lost = {k for k, v in items.items() if v.score < v.max_score}
    assert lost == expected, {k: (items[k].status, items[k].feedback.en) for k in lost ^ expected}


# --------------------------------------------------------------------------- memory

def test_allocating_3_gib_against_1_gib_fails_with_the_memory_limit_named(zygote):
    src = """
    import numpy as np
    def probe():
        a = np.ones((3 << 30) // 8)          # 3 GiB
        return float(a.sum())
    """
    with pytest.raises(StudentError) as info:
        run(zygote, src, cfg=config(memory_bytes=1 << 30))
    assert info.value.info["type"] == "MemoryError"
    assert "memory limit of 1024 MiB" in info.value.describe().en


def test_memory_item_error_names_the_limit_and_grading_carries_on(zygote):
    src = replace_class(CORRECT, "Relu", """
        class Relu:
            def __init__(self):
                self.mask = None
            def forward(self, x):
                self.hog = np.ones((3 << 30) // 8)
                return x
            def backward(self, dout):
                return dout
    """)
    items, report = grade(zygote, src)
    relu = {k for k in items if k.startswith("Relu.")}
    assert relu and all(items[k].status == "error" for k in relu if items[k].score < items[k].max_score)
    assert any("memory limit" in items[k].feedback.en for k in relu)
    assert sum(items[k].score for k in items if k not in relu) == sum(items[k].max_score for k in items
                                                                     if k not in relu)


@pytest.mark.skipif(not is_root(), reason="cgroups are writable only as root")
def test_memory_cgroup_kills_and_names_the_limit_without_rlimit(zygote):
    """The cgroup layer on its own (no RLIMIT_AS): touching 512 MiB against 256 MiB is OOM-killed."""
    src = """
    import numpy as np
    def probe():
        chunks = []
        for _ in range(32):                   # 32 x 16 MiB, every page touched
            chunks.append(np.ones(2 << 20))
        return len(chunks)
    """
    cfg = config({"cgroups": True, "cgroup_memory_bytes": 256 << 20}, memory_bytes=None)
    with pytest.raises(StudentDied) as info:
        run(zygote, src, cfg=cfg)
    assert info.value.limit == "memory", info.value
    assert "memory limit" in info.value.describe().en


# --------------------------------------------------------------------------- time

def test_busy_loop_is_cut_by_the_item_time_limit_and_the_process_is_gone(zygote):
    src = """
    import time
    def probe():
        end = time.time() + 30                # bounded even if nothing cut it
        while time.time() < end:
            pass
    """
    with session(zygote, src, item_timeout=1.0) as s:
        s.batch()
        pid = s.pid
        t0 = time.monotonic()
        with pytest.raises(StudentTimeout):
            s.call("probe")
        assert time.monotonic() - t0 < 5
        assert wait_gone(pid)


def test_busy_loop_hits_the_cpu_time_limit_named(zygote):
    src = """
    import time
    def probe():
        end = time.time() + 30
        while time.time() < end:
            pass
    """
    with pytest.raises(StudentDied) as info:
        run(zygote, src, cfg=config(cpu_seconds=1), item_timeout=15)
    assert info.value.limit == "cpu" or info.value.exit_code == -24, info.value
    assert "CPU-time limit of 1 s" in info.value.describe().en


def test_monitor_wall_time_cap_kills_a_sleeping_student(zygote):
    src = """
    import time
    def probe():
        time.sleep(20)
    """
    with pytest.raises(StudentDied) as info:
        run(zygote, src, cfg=config({"wall_seconds": 1}), item_timeout=15)
    assert info.value.limit == "wall" and "wall-time limit" in info.value.describe().en


def test_busy_loop_item_times_out_and_the_other_items_get_full_marks(zygote):
    src = replace_class(CORRECT, "Sigmoid", """
        class Sigmoid:
            def __init__(self):
                self.out = None
            def forward(self, x):
                import time
                end = time.time() + 30
                while time.time() < end:
                    pass
            def backward(self, dout):
                return dout
    """)
    items, report = grade(zygote, src, item_timeout_scale=0.2)
    fwd = items["Sigmoid.forward"]
    assert fwd.status == "timeout" and "time limit" in fwd.feedback.en
    assert all(v.score == v.max_score for k, v in items.items() if not k.startswith("Sigmoid"))


# --------------------------------------------------------------------------- output

def test_50_mb_of_output_is_cut_and_never_reaches_the_grader(zygote, capfd):
    src = """
    import os, sys
    def probe():
        line = "x" * (1 << 20)
        for _ in range(50):                   # 50 MB through print
            print(line)
        for fd in (1, 2):                     # and 50 MB straight to the file descriptors
            for _ in range(25):
                os.write(fd, b"y" * (1 << 20))
        return "done"
    """
    with session(zygote, src, config(output_cap=20_000)) as s:
        t0 = time.monotonic()
        assert s.call("probe") == "done"
        assert time.monotonic() - t0 < 10
        out = "".join(s.output)
    body, _, note = out.partition("\n[... ")
    assert len(out) <= 20_000 + 200 and set(body) <= {"x", "\n"}, len(out)  # capped; fd writes went nowhere
    assert "output size limit" in note
    captured = capfd.readouterr()
    assert "xxxx" not in captured.out + captured.err and "yyyy" not in captured.out + captured.err


# --------------------------------------------------------------------------- crashes

def test_segfault_is_an_item_error_and_grading_carries_on(zygote):
    src = replace_class(CORRECT, "Relu", """
        class Relu:
            def __init__(self):
                self.mask = None
            def forward(self, x):
                import ctypes
                return ctypes.string_at(8, 16)   # reads unmapped page 0: SIGSEGV
            def backward(self, dout):
                return dout
    """)
    items, _ = grade(zygote, src)
    fwd = items["Relu.forward"]
    assert fwd.status == "error" and "segmentation fault" in fwd.feedback.en, fwd.feedback.en
    assert all(v.score == v.max_score for k, v in items.items() if not k.startswith("Relu"))


def test_file_size_limit_is_named(zygote):
    path = f"/tmp/dlgrade-sbtest-{secrets.token_hex(4)}"
    src = """
    def probe(path):
        with open(path, "wb") as f:
            for _ in range(8):
                f.write(b"z" * (1 << 20))     # 8 MiB against 1 MiB
    """
    try:
        with pytest.raises(StudentError) as info:
            run(zygote, src, "probe", path, cfg=config(file_bytes=1 << 20))
        assert "file-size limit of 1 MiB" in info.value.describe().en
        assert not os.path.exists(path)  # written in the job's private /tmp
    finally:
        if os.path.isfile(path):
            os.unlink(path)


def test_private_tmp_is_size_limited(zygote):
    prefix = f"/tmp/dlgrade-sbtest-{secrets.token_hex(4)}-"
    src = """
    def probe(prefix):
        for i in range(16):                   # 16 files x 1 MiB against a 4 MiB /tmp
            with open(f"{prefix}{i}", "wb") as f:
                f.write(b"z" * (1 << 20))
    """
    try:
        with pytest.raises(StudentError) as info:
            run(zygote, src, "probe", prefix, cfg=config({"tmp_bytes": 4 << 20}))
        assert "temporary directory" in info.value.describe().en
    finally:
        for i in range(16):
            if os.path.isfile(f"{prefix}{i}"):
                os.unlink(f"{prefix}{i}")


# --------------------------------------------------------------------------- processes

FORKER = """
import os, time

def probe(n):
    made, error = 0, None
    for _ in range(n):                        # bounded
        try:
            pid = os.fork()
        except OSError as exc:
            error = type(exc).__name__
            break
        if pid == 0:
            time.sleep(20)                    # bounded; the job's end kills it sooner
            os._exit(0)
        made += 1
    return [made, error]
"""


def test_fork_is_denied_by_default(zygote):
    made, error = run(zygote, FORKER, "probe", 40)
    assert made == 0 and error == "PermissionError"


def test_forking_beyond_the_process_limit_fails(zygote):
    cfg = config({"allow_fork": True}, processes=8)
    made, error = run(zygote, FORKER, "probe", 40, cfg=cfg)
    assert 1 <= made <= 7 and error == "BlockingIOError", (made, error)


def test_uncaught_fork_failure_names_the_process_limit(zygote):
    src = """
    import os, time
    def probe():
        for _ in range(40):
            if os.fork() == 0:
                time.sleep(20)
                os._exit(0)
    """
    with pytest.raises(StudentError) as info:
        run(zygote, src, cfg=config({"allow_fork": True}, processes=4))
    assert "process/thread limit (4)" in info.value.describe().en


def test_threads_are_bounded_too(zygote):
    src = """
    import threading, time
    def probe():
        stop = threading.Event()
        started, error = 0, None
        for _ in range(64):
            t = threading.Thread(target=stop.wait, args=(10,))
            try:
                t.start()
            except RuntimeError as exc:
                error = str(exc)
                break
            started += 1
        stop.set()
        return [started, error]
    """
    started, error = run(zygote, src, cfg=config(processes=8))
    assert 1 <= started <= 7 and error, (started, error)


GRANDCHILD = """
import ctypes, os, time

def probe(name):
    r, w = os.pipe()
    if os.fork() == 0:                        # child
        if os.fork() == 0:                    # grandchild: new session, renamed, sleeps
            os.setsid()
            ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)   # PR_SET_NAME
            os.write(w, b"up")
            time.sleep(30)                    # bounded
            os._exit(0)
        os._exit(0)                           # the child leaves: the grandchild is orphaned
    os.read(r, 2)
    return "started"
"""


@pytest.mark.parametrize("sandbox", [{"allow_fork": True}, {"allow_fork": True, "disable": ["pid_namespace"]}],
                         ids=["pid-namespace", "uid-kill-without-pid-namespace"])
def test_a_grandchild_left_sleeping_is_gone_after_the_job(zygote, sandbox):
    if "disable" in sandbox and not is_root():
        pytest.skip("the uid fallback needs a dedicated uid (root)")
    name = "dlgsb" + secrets.token_hex(4)
    try:
        with session(zygote, GRANDCHILD, config(sandbox)) as s:
            assert s.call("probe", name) == "started"
            found = pids_named(name)
            assert found, "the grandchild did not start"
        for pid in found:
            assert wait_gone(pid, 3.0), f"grandchild {pid} survived the job"
    finally:
        for pid in pids_named(name):  # a broken sandbox: clean up what this test started
            os.kill(pid, 9)


def test_a_grandchild_cannot_even_be_started_by_default(zygote):
    name = "dlgsb" + secrets.token_hex(4)
    try:
        with pytest.raises(StudentError) as info:
            run(zygote, GRANDCHILD, "probe", name)
        assert info.value.info["type"] == "PermissionError"
        assert "does not allow" in info.value.describe().en
    finally:
        for pid in pids_named(name):
            os.kill(pid, 9)


def test_killed_job_leaves_no_process_and_no_cgroup(zygote):
    src = """
    import time
    def probe():
        time.sleep(20)
    """
    with session(zygote, src, config({"cgroups": True}), item_timeout=0.5) as s:
        s.batch()
        pid = s.pid
        with open(f"/proc/{pid}/stat") as f:
            monitor = int(f.read().split(") ", 1)[1].split()[1])
        with pytest.raises(StudentTimeout):
            s.call("probe")
    assert wait_gone(pid) and wait_gone(monitor)
    if is_root():
        from glob import glob

        assert not glob(f"/sys/fs/cgroup/*/**/dlgrade-job-{monitor}", recursive=True)
    assert not alive(pid)


@pytest.mark.skipif(not is_root(), reason="cgroups are writable only as root")
def test_cgroups_of_monitors_killed_before_cleaning_up_are_swept_by_the_next_zygote():
    from grader.runner.pool import Zygote

    with open("/proc/self/cgroup") as f:
        mine = dict(line.strip().split(":", 2)[1:] for line in f if ":memory:" in line or ":pids:" in line)
    stale = [f"/sys/fs/cgroup/{ctl}{path.rstrip('/')}/dlgrade-job-99999999" for ctl, path in mine.items()]
    for path in stale:
        os.makedirs(path, exist_ok=True)  # a monitor that no longer exists (no such PID)
    z = Zygote()
    try:
        assert run(z, "def probe():\n    return 1\n") == 1
        assert not [p for p in stale if os.path.exists(p)]
    finally:
        z.close()
        for path in stale:
            if os.path.isdir(path):
                os.rmdir(path)
