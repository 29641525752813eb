"""Time limits on a busy machine: false timeouts of a correct training item with and without the
run-queue extension (grader/runner/session.py, STARVED_MAX).

While ``--hogs`` busy-loop processes (each bounded to ``--hog-seconds`` and ended by PID) oversubscribe
the cores, the same correct file's training item is graded ``--n`` times per configuration, the two
configurations alternating (A B A B …): STARVED_MAX = 1 (the plain wall-time limit, as before) and the
default (the limit extended by the time the student process waited for a CPU). Reports the timeouts
of each and the wall time of the gradings.

    .venv/bin/python bench/starved_timeouts.py --n 20 --hogs 6

Caveat (measured 2026-12-07): busy processes started here did not starve the student process much — with
14 of them on 2 cores the item still took ~3.6 s in both configurations, 0 timeouts — presumably because
the student process runs in a cgroup of its own and the kernel shares CPU between cgroups first. The
false timeouts the extension removes came from load outside this process tree (other sessions' test
suites: load 10–25), which this script cannot produce; the figures are in bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exercises import get  # noqa: E402
from grader.engine import GradeOptions, grade_source  # noqa: E402
from grader.runner import session as S  # noqa: E402

HOG = "import time\nt = time.monotonic()\nwhile time.monotonic() - t < {s}:\n    pass\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20, help="gradings per configuration")
    ap.add_argument("--hogs", type=int, default=6, help="busy-loop processes (2 cores here)")
    ap.add_argument("--hog-seconds", type=float, default=900.0, help="each hog ends itself after this long")
    ap.add_argument("--exercise", default="regularization")
    ap.add_argument("--file", default="tests/corpus/regularization/correct_book_style.py")
    ap.add_argument("--item", default="MultiLayerNetExtend.training")
    args = ap.parse_args(argv)
    ex = get(args.exercise)
    ex = dataclasses.replace(ex, items=tuple(i for i in ex.items if i.id == args.item))  # that item only
    src = (ROOT / args.file).read_bytes()
    default = S.STARVED_MAX
    configs = {"plain limit (STARVED_MAX = 1)": 1.0, f"run-queue extension (STARVED_MAX = {default:g})": default}
    stats = {name: {"timeouts": 0, "other": 0, "seconds": []} for name in configs}
    hogs = [subprocess.Popen([sys.executable, "-c", HOG.format(s=args.hog_seconds)]) for _ in range(args.hogs)]
    try:
        time.sleep(1.0)
        for i in range(args.n):
            for name, value in configs.items():
                S.STARVED_MAX = value
                t0 = time.monotonic()
                report = grade_source(ex, src, Path(args.file).name, GradeOptions(seed=1000 + i))
                item = next(it for it in report.items if it.id == args.item)
                stats[name]["seconds"].append(time.monotonic() - t0)
                if item.status == "timeout":
                    stats[name]["timeouts"] += 1
                elif item.status != "pass":
                    stats[name]["other"] += 1
            print(f"  {i + 1}/{args.n}", file=sys.stderr, flush=True)
    finally:
        S.STARVED_MAX = default
        for h in hogs:
            try:
                os.kill(h.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            h.wait()
    print(f"{args.file} {args.item}, {args.n} gradings each, {args.hogs} busy processes on {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f} at the end")
    print("| configuration | timeouts | other failures | median grading | slowest |")
    print("|---|---|---|---|---|")
    for name, s in stats.items():
        secs = sorted(s["seconds"])
        print(f"| {name} | {s['timeouts']} / {args.n} | {s['other']} | {secs[len(secs) // 2]:.1f} s | {secs[-1]:.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
