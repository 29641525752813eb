"""An item's time limit counts the time the student process could run (grader/runner/session.py).

On a busy machine (a class submitting at the deadline, CI) a correct training item used to time out
because its process waited for a CPU; the wait it spent runnable (``/proc/<pid>/task/*/schedstat``) now
extends its deadline, up to STARVED_MAX × the limit. A process that sleeps or loops on a quiet machine
still ends at its limit.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from exercises.common import M
from grader.compare import Fail
from grader.engine import GradeOptions, grade_source
from grader.runner import session as S
from grader.spec import Exercise, Item


class _Clock:
    """A fake run-queue clock: ``rate`` seconds of CPU wait per second of wall time."""

    def __init__(self, rate: float):
        self.rate, self.t0 = rate, time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self.t0) * self.rate


def _session(waits):
    a, b = socket.socketpair()
    s = S.Session([], None, None)
    s.sock, s.pid = a, 1
    s._runqueue_wait = waits
    return s, b


def _reply_after(sock, seconds):
    def send():
        time.sleep(seconds)
        try:
            sock.sendall(b"x")
        except OSError:  # the test is over and closed its end
            pass
    t = threading.Thread(target=send, daemon=True)
    t.start()
    return t


def test_a_starved_process_gets_the_time_it_waited_for_a_cpu():
    clock = _Clock(rate=0.6)  # runnable but waiting 60 % of the time
    s, peer = _session(clock)
    _reply_after(peer, 1.6)
    t0 = time.monotonic()
    s._await_reply(t0, 1.0, clock())  # 1 s limit, reply after 1.6 s wall ≈ 0.64 s of CPU
    assert 1.5 < time.monotonic() - t0 < 2.9
    peer.close()


def test_no_wait_for_a_cpu_means_the_plain_limit():
    s, peer = _session(lambda: 0.0)  # e.g. sleeping, or alone on the machine
    _reply_after(peer, 3.0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        s._await_reply(t0, 1.0, 0.0)
    assert 0.9 < time.monotonic() - t0 < 1.6
    peer.close()


def test_the_extension_is_capped():
    clock = _Clock(rate=1.0)  # waits all the time: never more than STARVED_MAX × the limit
    s, peer = _session(clock)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        s._await_reply(t0, 0.5, clock())
    assert 0.5 * S.STARVED_MAX - 0.1 < time.monotonic() - t0 < 0.5 * S.STARVED_MAX + 0.8
    peer.close()


def test_unreadable_schedstat_falls_back_to_the_plain_limit():
    s, peer = _session(lambda: None)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        s._await_reply(t0, 0.5, None)
    assert time.monotonic() - t0 < 1.2
    peer.close()


def _sleepy(ctx):
    b = ctx.batch()
    b.call(b.name("nap"), 3.0)
    b.run()


def test_a_real_sleeping_student_still_times_out_at_its_limit():
    """The real /proc reading: a process asleep is not waiting for a CPU, so its limit is not extended."""
    ex = Exercise(id="nap-test", title=M("nap", "nap"), section="0", notebooks=(),
                  items=(Item("nap", 1, _sleepy, M("", ""), "0", timeout=1.0),))
    src = b"import time\ndef nap(s):\n    time.sleep(s)\n    return 1\n"
    t0 = time.monotonic()
    report = grade_source(ex, src, "nap.py", GradeOptions(seed=1))
    assert report.items[0].status == "timeout"
    assert time.monotonic() - t0 < 2.9  # 1 s limit (+ start-up), not 3 s of sleep


def test_the_run_queue_of_a_real_student_process_is_readable():
    ex = Exercise(id="rq-test", title=M("rq", "rq"), section="0", notebooks=(),
                  items=(Item("f", 1, _reads_wait, M("", ""), "0"),))
    report = grade_source(ex, b"def f():\n    return sum(range(10**5))\n", "rq.py", GradeOptions(seed=1))
    assert report.items[0].status == "pass", report.items[0].feedback


def _reads_wait(ctx):
    session = ctx.session
    waited = session._runqueue_wait()
    if waited is None or waited < 0:
        raise Fail(M(f"schedstat not readable for pid {session.pid}", "-"))
