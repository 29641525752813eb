"""PyTorch inside the sandbox (the `autograd` exercise, §3.8): what it needs, measured on the real
student process, and what it is still refused.  The attacks of the other files of this folder run
against the PyTorch zygote too (``conftest.zygote`` is parametrized)."""

from __future__ import annotations

import sys

import pytest

from conftest import LIMITS, run, session
from grader.runner.pool import Zygote
from grader.runner.session import StudentDied, StudentError

pytestmark = pytest.mark.timeout(180)

AUTOGRAD = """
import os, resource, sys, threading
import torch

def probe():
    X = torch.randn(64, 32, dtype=torch.float64, requires_grad=True)
    W = torch.randn(32, 16, dtype=torch.float64, requires_grad=True)
    Y = torch.softmax(X @ W, dim=1)
    Y.backward(torch.ones_like(Y))
    (g,) = torch.autograd.grad(torch.sigmoid(X).sum(), X)
    __import__("torch.distributions")  # a submodule the zygote did not import: read from the view, in the job
    return {"uid": os.getuid(), "pid": os.getpid(), "proc": os.path.exists("/proc"),
            "intra_threads": torch.get_num_threads(), "python_threads": threading.active_count(),
            "grad_shape": list(X.grad.shape), "g_finite": bool(torch.isfinite(g).all()),
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "as_limit": resource.getrlimit(resource.RLIMIT_AS)[0]}
"""


def _status(pid: int) -> dict[str, int]:
    """VmSize, VmPeak, VmRSS, VmHWM (KiB) and Threads of a process, from the grader's side."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmSize", "VmPeak", "VmRSS", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
    return out


@pytest.fixture(scope="module")
def torch_zygote():
    z = Zygote(preload=("torch",))
    z.warm()
    yield z
    z.close()


def test_pytorch_imports_and_differentiates_in_the_full_sandbox_with_one_thread(torch_zygote):
    with session(torch_zygote, AUTOGRAD) as s:
        got = s.call("probe")
        st = _status(s.pid)
    assert got["uid"] != 0 and got["pid"] == 1 and got["proc"] is False  # dedicated uid, PID ns, view
    assert got["grad_shape"] == [64, 32] and got["g_finite"]
    assert got["intra_threads"] == 1 and got["python_threads"] == 1
    assert st["Threads"] == 1  # no OpenMP/inter-op pool started: the job stays one thread
    assert got["as_limit"] == LIMITS["memory_bytes"]  # the 1 GiB address-space limit is kept for PyTorch
    # measured 2026-12: ≈ 620 MiB of address space, ≈ 250 MiB resident (mostly shared with the zygote)
    assert st["VmPeak"] < 800 * 1024, st
    assert st["VmHWM"] < 450 * 1024, st
    print(f"\nstudent process with PyTorch: {st['Threads']} thread, VmRSS {st['VmRSS'] / 1024:.0f} MiB, "
          f"VmHWM {st['VmHWM'] / 1024:.0f} MiB, VmSize {st['VmSize'] / 1024:.0f} MiB, "
          f"VmPeak {st['VmPeak'] / 1024:.0f} MiB (RLIMIT_AS {LIMITS['memory_bytes'] >> 20} MiB)", file=sys.stderr)


def test_the_pytorch_zygote_is_single_threaded_so_forking_it_is_safe(torch_zygote):
    run(torch_zygote, "def probe():\n    return 1\n")  # it has served a job: its imports are done
    assert _status(torch_zygote.pid)["Threads"] == 1


def test_a_job_can_still_allocate_a_few_hundred_mib_beside_pytorch(torch_zygote):
    src = "import torch\ndef probe():\n    return float(torch.ones(40 << 20, dtype=torch.float64).sum())\n"  # 320 MiB
    assert run(torch_zygote, src) == float(40 << 20)


def test_too_many_threads_is_a_clear_error_not_a_crash(torch_zygote):
    src = "import torch\ndef probe(n):\n    torch.set_num_threads(n)\n    return torch.get_num_threads()\n"
    with pytest.raises(StudentError) as info:
        run(torch_zygote, src, "probe", 500)
    assert "at most 4 threads" in info.value.describe().en
    assert run(torch_zygote, src, "probe", 2) == 2  # a few are allowed


def test_bypassing_the_thread_guard_crashes_only_the_students_own_process(torch_zygote):
    src = ("import torch\n"
           "def probe():\n    torch._C.set_num_threads(500)\n    x = torch.randn(600, 600)\n"
           "    return float((x @ x).sum())\n"
           "def fine():\n    return float(torch.ones(3).sum())\n")
    with session(torch_zygote, src) as s:
        with pytest.raises((StudentDied, StudentError)):
            s.call("probe")
        assert s.call("fine") == 3.0  # a fresh student process grades the next item


def test_the_numpy_exercises_sandbox_does_not_show_pytorch():
    """The twelve NumPy exercises' zygote neither imports PyTorch nor shows its files."""
    z = Zygote()
    try:
        src = "def probe():\n    try:\n        import torch\n        return 'imported'\n    except ImportError:\n        return 'absent'\n"
        assert run(z, src) == "absent"
    finally:
        z.close()
